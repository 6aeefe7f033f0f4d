using ImageBuild.Tests.Shared;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace ImageBuild.Tasks.Tests;

/// <summary>
/// Issue 19 end to end through the MSBuild task: two agents (two output directories) build one recipe with the same
/// ImageBuildCache on a real registry (docker-registry on loopback, plain HTTP); the first builds and pushes every
/// step, the second pulls every step and builds none, to the same bytes.
/// </summary>
[TestClass]
[RequiresTool(TestRegistry.Tool)]
public sealed class RemoteCacheTaskTests
{
    private const string Recipe = """
        steps:
          - id: base
            kind: create
            size: 4M
          - id: data
            kind: write
            from: base
            offset: 1M
            file: content.txt
          - id: disk
            kind: convert
            from: data
            format: qcow2
            output: disk.qcow2
          - id: gate
            kind: measure
            from: disk
            format: qcow2
            max-required: 8M
        """;

    private static TestRegistry? s_registry;

    private static TestRegistry Registry => s_registry ?? throw new AssertFailedException("the registry did not start");

    [ClassInitialize]
    public static void Start(TestContext _) => s_registry = TestRegistry.Start(new TestRegistryOptions());

    [ClassCleanup]
    public static void Cleanup() => s_registry?.Dispose();

    private static (BuildImageRecipes Task, FakeBuildEngine Engine) Agent(TempDir dir, string name)
    {
        var engine = new FakeBuildEngine(dir["Sample.csproj"]);
        return (new BuildImageRecipes
        {
            BuildEngine = engine,
            Recipes = [new TaskItem("disk.yaml")],
            OutputRoot = dir[name],
            ProjectDirectory = dir.Path,
            Cache = Registry.Reference("tasks/steps"),
            RegistryPlainHttp = true,
        }, engine);
    }

    private static string Status(ITaskItem item) => $"{item.GetMetadata("StepId")}={item.GetMetadata("Status")}";

    [TestMethod]
    public void ASecondAgentPullsEveryStepTheFirstPushed()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["disk.yaml"], Recipe);
        File.WriteAllText(dir["content.txt"], "built once, pulled by every other agent\n");

        var (first, firstEngine) = Agent(dir, "agent-a");
        Assert.IsTrue(first.Execute(), firstEngine.Log);
        Assert.IsEmpty(firstEngine.Warnings, firstEngine.Log);
        CollectionAssert.AreEquivalent(new[] { "base=Ran", "data=Ran", "disk=Ran" }, first.Images.Select(Status).ToList(), firstEngine.Log);
        Assert.AreEqual(("gate", "Ran"), (first.Measurements.Single().ItemSpec, first.Measurements.Single().GetMetadata("Status")));

        var (second, secondEngine) = Agent(dir, "agent-b");
        Assert.IsTrue(second.Execute(), secondEngine.Log);
        Assert.IsEmpty(secondEngine.Warnings, secondEngine.Log);
        CollectionAssert.AreEquivalent(new[] { "base=Pulled", "data=Pulled", "disk=Pulled" }, second.Images.Select(Status).ToList(), secondEngine.Log);
        Assert.AreEqual("Pulled", second.Measurements.Single().GetMetadata("Status"), secondEngine.Log);
        Assert.AreEqual(4, secondEngine.Messages.Count(m => m.Message!.StartsWith("disk.yaml: pulled ", StringComparison.Ordinal)), secondEngine.Log);
        Assert.IsFalse(secondEngine.Messages.Any(m => m.Message!.StartsWith("disk.yaml: run ", StringComparison.Ordinal)), secondEngine.Log);
        Assert.AreEqual(first.Measurements.Single().GetMetadata("RequiredSize"), second.Measurements.Single().GetMetadata("RequiredSize"));

        foreach (var image in first.Images)
        {
            var pulled = second.Images.Single(i => i.GetMetadata("StepId") == image.GetMetadata("StepId"));
            Assert.AreEqual(image.GetMetadata("ContentHash"), pulled.GetMetadata("ContentHash"));
            CollectionAssert.AreEqual(File.ReadAllBytes(image.ItemSpec), File.ReadAllBytes(pulled.ItemSpec), pulled.ItemSpec);
        }
        Assert.IsTrue(second.FileWrites.Any(f => f.ItemSpec == dir["agent-b/disk/disk.qcow2"]), "pulled images are the build's files too");
    }
}
