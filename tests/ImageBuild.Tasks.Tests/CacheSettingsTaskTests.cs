using ImageBuild.Recipes.Cache.Remote;
using ImageBuild.Recipes.Hosting;
using ImageBuild.Tests.Shared;
using Microsoft.Build.Utilities;

namespace ImageBuild.Tasks.Tests;

/// <summary>
/// Issue 19: the remote step cache parameters of BuildImageRecipes reach the host's request (the runner itself is
/// tested in ImageBuild.Recipes.Tests), files resolved against the project directory, a malformed reference refused
/// before anything runs.
/// </summary>
[TestClass]
public sealed class CacheSettingsTaskTests
{
    private TempDir _dir = null!;

    [TestInitialize]
    public void Init()
    {
        _dir = new TempDir();
        File.WriteAllText(_dir["disk.yaml"], "steps:\n  - id: base\n    kind: create\n    size: 1M\n");
    }

    [TestCleanup]
    public void Cleanup() => _dir.Dispose();

    /// <summary>The task, whose host records each request and answers with an empty successful run.</summary>
    private (BuildImageRecipes Task, FakeBuildEngine Engine, List<RecipeRunRequest> Requests) Make()
    {
        var engine = new FakeBuildEngine(_dir["Sample.csproj"]);
        var requests = new List<RecipeRunRequest>();
        var task = new BuildImageRecipes
        {
            BuildEngine = engine,
            Recipes = [new TaskItem("disk.yaml")],
            OutputRoot = _dir["bin/images"],
            ProjectDirectory = _dir.Path,
            Host = r =>
            {
                requests.Add(r);
                return new HostResult { Succeeded = true, OutputDir = r.OutputDir };
            },
        };
        return (task, engine, requests);
    }

    [TestMethod]
    public void CacheIsReadAndWrittenWithTheRegistrySettings()
    {
        var (task, engine, requests) = Make();
        task.Cache = "oci://registry.example:5000/team/steps";
        task.CacheRequired = true;
        task.RegistryPlainHttp = true;
        task.RegistryCaFile = "certs/ca.pem";
        task.RegistryConfig = "/etc/imagebuild/auth.json";
        Assert.IsTrue(task.Execute(), engine.Log);

        Assert.AreEqual(new StepCacheSettings
        {
            From = "oci://registry.example:5000/team/steps",
            To = "oci://registry.example:5000/team/steps",
            Required = true,
            PlainHttp = true,
            CaFile = Path.Combine(_dir.Path, "certs", "ca.pem"),
            AuthFile = "/etc/imagebuild/auth.json",
        }, requests.Single().Cache);
    }

    [TestMethod]
    public void CacheFromAndCacheToWinOverCacheForTheirDirection()
    {
        var (task, engine, requests) = Make();
        task.Cache = "oci://registry.example/both";
        task.CacheTo = "oci://registry.example/writes";
        Assert.IsTrue(task.Execute(), engine.Log);
        var cache = requests.Single().Cache!;
        Assert.AreEqual(("oci://registry.example/both", "oci://registry.example/writes"), (cache.From, cache.To));
        Assert.IsFalse(cache.Required || cache.PlainHttp);
        Assert.IsNull(cache.CaFile);
        Assert.IsNull(cache.AuthFile);

        var (readOnly, readEngine, readRequests) = Make();
        readOnly.CacheFrom = "oci://127.0.0.1:5000/steps";
        Assert.IsTrue(readOnly.Execute(), readEngine.Log);
        Assert.AreEqual(("oci://127.0.0.1:5000/steps", (string?)null), (readRequests.Single().Cache!.From, readRequests.Single().Cache!.To));
    }

    /// <summary>A switch or a file alone still reaches the runner, which lays it over the recipe's cache: section.</summary>
    [TestMethod]
    public void ASettingWithoutAReferenceIsPassedForTheRecipesOwnCache()
    {
        var (task, engine, requests) = Make();
        task.RegistryConfig = "auth/config.json";
        Assert.IsTrue(task.Execute(), engine.Log);
        Assert.AreEqual(new StepCacheSettings { AuthFile = Path.Combine(_dir.Path, "auth", "config.json") }, requests.Single().Cache);
        Assert.IsFalse(requests.Single().Cache!.IsEnabled);
    }

    /// <summary>MSBuild passes unset properties as empty strings: no cache, the recipe's own applies.</summary>
    [TestMethod]
    public void NothingSetPassesNoCache()
    {
        var (task, engine, requests) = Make();
        task.Cache = "";
        task.CacheFrom = " ";
        task.RegistryCaFile = "";
        Assert.IsTrue(task.Execute(), engine.Log);
        Assert.IsNull(requests.Single().Cache);
    }

    [TestMethod]
    [DataRow("Cache", "oci://registry.example/Steps")]
    [DataRow("CacheFrom", "oci://registry.example/steps:v1")]
    [DataRow("CacheTo", "https://registry.example/steps")]
    [DataRow("Cache", "oci:///steps")]
    public void AMalformedReferenceIsOneErrorAndNothingRuns(string parameter, string reference)
    {
        var (task, engine, requests) = Make();
        typeof(BuildImageRecipes).GetProperty(parameter)!.SetValue(task, reference);
        Assert.IsFalse(task.Execute());
        var error = engine.Errors.Single();
        Assert.AreEqual("IMGB1004", error.Code);
        // the reason is the command line's (StepCacheReference), after the parameter's name
        string? problem = StepCacheReference.Problem(reference);
        Assert.IsNotNull(problem);
        Assert.AreEqual($"{parameter}: {problem}", error.Message);
        StringAssert.Contains(error.Message, reference);
        Assert.IsFalse(error.Message.Contains('\n'), error.Message);
        Assert.AreEqual(0, requests.Count);
    }

    /// <summary>A password written into a reference is never repeated in the error.</summary>
    [TestMethod]
    public void AReferenceWithCredentialsIsRefusedWithoutRepeatingThem()
    {
        var (task, engine, requests) = Make();
        task.Cache = "oci://builder:s3cr3t-pass@registry.example/steps";
        Assert.IsFalse(task.Execute());
        var error = engine.Errors.Single();
        Assert.AreEqual("IMGB1004", error.Code);
        Assert.AreEqual("Cache: a registry reference holds no credentials (give them in a credentials file or the environment)", error.Message);
        Assert.IsFalse(engine.Log.Contains("s3cr3t", StringComparison.Ordinal), engine.Log);
        Assert.AreEqual(0, requests.Count);
    }
}
