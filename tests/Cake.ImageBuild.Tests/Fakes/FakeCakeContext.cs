using Cake.Core;
using Cake.Core.Configuration;
using Cake.Core.Diagnostics;
using Cake.Core.IO;
using Cake.Core.Tooling;

namespace Cake.ImageBuild.Tests.Fakes;

/// <summary>
/// The smallest <see cref="ICakeContext"/> the aliases run in: Cake.Core's real file system and globber, its environment
/// with a fixed working directory, and a capturing log. The aliases use nothing else; the other members throw so
/// that a test notices if that changes.
/// </summary>
public sealed class FakeCakeContext : ICakeContext
{
    public FakeCakeContext(string workingDirectory, Verbosity verbosity = Verbosity.Normal)
    {
        FileSystem = new FileSystem();
        var environment = new FixedDirectoryEnvironment(new DirectoryPath(workingDirectory));
        Environment = environment;
        Globber = new Globber(FileSystem, environment);
        CapturedLog = new CapturingCakeLog(verbosity);
    }

    public CapturingCakeLog CapturedLog { get; }

    public IFileSystem FileSystem { get; }
    public ICakeEnvironment Environment { get; }
    public IGlobber Globber { get; }
    public ICakeLog Log => CapturedLog;
    public ICakeArguments Arguments => throw Unused();
    public IProcessRunner ProcessRunner => throw Unused();
    public IRegistry Registry => throw Unused();
    public IToolLocator Tools => throw Unused();
    public ICakeDataResolver Data => throw Unused();
    public ICakeConfiguration Configuration => throw Unused();
    public IToolInstaller ToolInstaller => throw Unused();
    public IServiceProvider ServiceProvider => throw Unused();

    private static InvalidOperationException Unused([System.Runtime.CompilerServices.CallerMemberName] string member = "") =>
        new($"the ImageBuild aliases are not expected to use ICakeContext.{member}");
}
