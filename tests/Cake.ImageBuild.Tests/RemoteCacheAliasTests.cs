using Cake.ImageBuild.Tests.Fakes;
using ImageBuild.Tests.Shared;

namespace Cake.ImageBuild.Tests;

/// <summary>
/// Issue 19 end to end through the Cake alias: two agents (two output directories) run one recipe WithCache on a real
/// registry (docker-registry on loopback, plain HTTP); the first builds and pushes every step, the second pulls every
/// step and builds none, to the same bytes.
/// </summary>
[TestClass]
[RequiresTool(TestRegistry.Tool)]
public sealed class RemoteCacheAliasTests
{
    private static TestRegistry? s_registry;

    private static TestRegistry Registry => s_registry ?? throw new AssertFailedException("the registry did not start");

    [ClassInitialize]
    public static void Start(TestContext _) => s_registry = TestRegistry.Start(new TestRegistryOptions());

    [ClassCleanup]
    public static void Cleanup() => s_registry?.Dispose();

    [TestMethod]
    public void ASecondAgentPullsEveryStepTheFirstPushed()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["r.yaml"], RecipeAliasTests.Recipe);
        ImageBuildRecipeSettings Settings(string agent) => new ImageBuildRecipeSettings { OutputDirectory = agent }
            .WithCache(Registry.Reference("cake/steps"))
            .WithRegistryPlainHttp();

        var firstContext = new FakeCakeContext(dir.Path);
        var first = firstContext.ImageBuildRecipe("r.yaml", Settings("agent-a"));
        Assert.AreEqual((4, 0), (first.RanCount, first.PulledCount), firstContext.CapturedLog.Text);

        var secondContext = new FakeCakeContext(dir.Path);
        var second = secondContext.ImageBuildRecipe("r.yaml", Settings("agent-b"));
        Assert.AreEqual((0, 4, 0), (second.RanCount, second.PulledCount, second.SkippedCount), secondContext.CapturedLog.Text);
        Assert.IsTrue(second.Steps.All(s => s.Status == ImageBuildStepStatus.Pulled), secondContext.CapturedLog.Text);
        Assert.AreEqual(4, secondContext.CapturedLog.Entries.Count(e => e.Message.StartsWith("pulled ", StringComparison.Ordinal)), secondContext.CapturedLog.Text);
        Assert.IsFalse(secondContext.CapturedLog.Entries.Any(e => e.Message.StartsWith("warning", StringComparison.Ordinal)), secondContext.CapturedLog.Text);
        Assert.AreEqual(first["gate"].MeasuredRequired, second["gate"].MeasuredRequired);

        foreach (var step in first.Steps.Where(s => s.OutputPath is not null))
        {
            var pulled = second[step.Id];
            Assert.AreEqual(step.Hash, pulled.Hash, step.Id);
            CollectionAssert.AreEqual(File.ReadAllBytes(step.OutputPath!.FullPath), File.ReadAllBytes(pulled.OutputPath!.FullPath), step.Id);
        }
    }
}
