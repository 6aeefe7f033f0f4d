using Cake.Core;
using Cake.Core.IO;

namespace Cake.ImageBuild.Tests.Fakes;

/// <summary>
/// Cake's real environment, except for the working directory: CakeEnvironment's setter changes the process's current
/// directory, which tests running side by side must not do. The aliases only read it.
/// </summary>
public sealed class FixedDirectoryEnvironment(DirectoryPath workingDirectory) : ICakeEnvironment
{
    private readonly CakeEnvironment _real = new(new CakePlatform(), new CakeRuntime());

    public DirectoryPath WorkingDirectory { get; set; } = workingDirectory;
    public DirectoryPath UserHomeDirectory => _real.UserHomeDirectory;
    public DirectoryPath ApplicationRoot => _real.ApplicationRoot;
    public ICakePlatform Platform => _real.Platform;
    public ICakeRuntime Runtime => _real.Runtime;
    public DirectoryPath GetSpecialPath(SpecialPath path) => _real.GetSpecialPath(path);
    public string GetEnvironmentVariable(string variable) => _real.GetEnvironmentVariable(variable);
    public IDictionary<string, string> GetEnvironmentVariables() => _real.GetEnvironmentVariables();
}
