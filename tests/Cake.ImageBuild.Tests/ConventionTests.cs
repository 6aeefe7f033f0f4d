using System.Reflection;
using System.Runtime.CompilerServices;
using Cake.Core;
using Cake.Core.Annotations;

namespace Cake.ImageBuild.Tests;

/// <summary>The addin conventions Cake.Addin.Analyzer would enforce (the analyzer is not in our registry).</summary>
[TestClass]
public sealed class ConventionTests
{
    private static readonly Assembly Addin = typeof(ImageBuildAliases).Assembly;

    private static IEnumerable<MethodInfo> ContextExtensions() =>
        Addin.GetExportedTypes().SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
            .Where(m => m.IsDefined(typeof(ExtensionAttribute)) && m.GetParameters()[0].ParameterType == typeof(ICakeContext));

    [TestMethod]
    public void EveryContextExtensionIsAnAliasInACategory()
    {
        var methods = ContextExtensions().ToList();
        Assert.IsTrue(methods.Count >= 20, $"only {methods.Count} aliases");
        foreach (var m in methods)
        {
            Assert.IsTrue(m.IsDefined(typeof(CakeMethodAliasAttribute)) || m.IsDefined(typeof(CakePropertyAliasAttribute)), $"{m.Name} is not marked as an alias (CBA0002)");
            Assert.AreEqual("ImageBuild", m.DeclaringType!.GetCustomAttribute<CakeAliasCategoryAttribute>()?.Name, $"{m.DeclaringType} has no alias category (CBA0001)");
            Assert.IsTrue(m.Name.StartsWith("ImageBuild", StringComparison.Ordinal), m.Name);
        }
        CollectionAssert.IsSubsetOf(
            new[] { "ImageBuildRecipe", "ImageBuildPlanRecipe", "ImageBuildCreate", "ImageBuildConvert", "ImageBuildCommit", "ImageBuildRebase", "ImageBuildResize", "ImageBuildMeasure", "ImageBuildCheck", "ImageBuildCompare", "ImageBuildInfo" },
            methods.Select(m => m.Name).Distinct().ToList());
    }

    [TestMethod]
    public void ScriptsImportTheSettingsNamespace() =>
        Assert.AreEqual("Cake.ImageBuild", typeof(ImageBuildAliases).GetCustomAttribute<CakeNamespaceImportAttribute>()?.Namespace);

    [TestMethod]
    public void CakeCoreIsReferencedNotShipped()
    {
        var cakeCore = Addin.GetReferencedAssemblies().Single(a => a.Name == "Cake.Core");
        Assert.AreEqual(new Version(7, 0, 0, 0), cakeCore.Version);
        Assert.AreEqual("net10.0", Addin.GetCustomAttribute<System.Runtime.Versioning.TargetFrameworkAttribute>()!.FrameworkName == ".NETCoreApp,Version=v10.0" ? "net10.0" : "other");
        string addinBin = Path.Combine(BuildInfoPaths.AddinOutput, "Cake.Core.dll");
        Assert.IsFalse(File.Exists(addinBin), $"{addinBin}: the addin must not copy Cake.Core (the host supplies it)");
    }

    [TestMethod]
    public void SettingsHaveParameterlessConstructorsAndFluentSetters()
    {
        foreach (var t in Addin.GetExportedTypes().Where(t => t.Name.EndsWith("Settings", StringComparison.Ordinal) && !t.IsAbstract))
            Assert.IsNotNull(t.GetConstructor(Type.EmptyTypes), t.Name);

        var convert = new ImageBuildConvertSettings().WithFormat("qcow2").WithCompression(ImageBuildCompression.Zstd).WithOption("cluster_size", "65536").WithInputFormat("raw").WithExplain();
        Assert.AreEqual(("qcow2", ImageBuildCompression.Zstd, "65536", "raw", true), (convert.Format, convert.Compression, convert.Options["cluster_size"], convert.InputFormat, convert.Explain));
        var recipe = new ImageBuildRecipeSettings().WithVariable("size", "8M").WithJobs(2).WithOutputDirectory("out");
        Assert.AreEqual(("8M", 2, "out"), (recipe.Variables["size"], recipe.Jobs, recipe.OutputDirectory!.FullPath));
        var rebase = new ImageBuildRebaseSettings().WithBacking("b.qcow2", "qcow2").WithUnsafe();
        Assert.AreEqual(("b.qcow2", "qcow2", true), (rebase.Backing!.FullPath, rebase.BackingFormat, rebase.Unsafe));
    }
}

internal static class BuildInfoPaths
{
    public static string AddinOutput => Path.Combine(EndToEnd.BuildInfo.RepositoryRoot, "tasks", "Cake.ImageBuild", "bin", EndToEnd.BuildInfo.Configuration, "net10.0");
}
