using System.Reflection;

namespace Cake.ImageBuild.Tests.EndToEnd;

/// <summary>Facts about this test build, baked in by the project file.</summary>
internal static class BuildInfo
{
    public static string Configuration => Metadata("ImageBuildConfiguration");
    public static string RepositoryRoot => Metadata("ImageBuildRepositoryRoot");
    public static string NuGetPackageRoot => Metadata("ImageBuildNuGetPackageRoot");

    private static string Metadata(string key) =>
        typeof(BuildInfo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value
        ?? throw new InvalidOperationException($"assembly metadata '{key}' is missing");
}
