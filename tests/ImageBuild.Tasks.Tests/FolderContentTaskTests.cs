using ImageBuild.Tests.Shared;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace ImageBuild.Tasks.Tests;

/// <summary>
/// A recipe that fills a filesystem from a folder of the project, run by the MSBuild task: the folder resolves beside
/// the recipe, the image is an output item, and changing one file of the folder reruns the step on the next build.
/// </summary>
[TestClass]
public sealed class FolderContentTaskTests
{
    [TestMethod]
    public void AFolderOfTheProjectFillsTheImageAndItsChangesRebuildIt()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir["images/content/etc"]);
        File.WriteAllText(dir["images/content/etc/hostname"], "one\n");
        File.WriteAllText(dir["images/disk.yaml"], """
            steps:
              - id: boot
                kind: filesystem
                type: fat
                size: 4M
                label: BOOT
                tree: content
              - id: disk
                kind: partition
                size: 8M
                partitions:
                  - {type: esp, content: boot}
            """);

        ITaskItem[] Build(string expectBoot)
        {
            var engine = new FakeBuildEngine(dir["Sample.csproj"]);
            var task = new BuildImageRecipes
            {
                BuildEngine = engine, Recipes = [new TaskItem("images/disk.yaml")], OutputRoot = dir["bin/images"], ProjectDirectory = dir.Path,
            };
            Assert.IsTrue(task.Execute(), engine.Log);
            Assert.AreEqual(expectBoot, task.Images.Single(i => i.GetMetadata("StepId") == "boot").GetMetadata("Status"), engine.Log);
            return task.Images;
        }

        var images = Build("Ran");
        Assert.AreEqual("raw", images.Single(i => i.GetMetadata("StepId") == "disk").GetMetadata("Format"));
        Assert.AreEqual((8 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture), images.Single(i => i.GetMetadata("StepId") == "disk").GetMetadata("VirtualSize"));
        Build("Skipped");
        File.WriteAllText(dir["images/content/etc/hostname"], "two\n");
        Build("Ran");
    }
}
