using Cake.Core.IO;

namespace Cake.ImageBuild;

/// <summary>
/// A secret that options name (<c>key-secret</c>, <c>encrypt.key-secret</c>): its id and where its value is, an
/// environment variable or a file; never the value. Add with <c>WithSecretFromEnvironment</c> / <c>WithSecretFromFile</c>.
/// </summary>
/// <param name="Id">The id options name; replaces a recipe's secret of the same id.</param>
/// <param name="EnvironmentVariable">The variable holding it (its UTF-8 bytes), or null.</param>
/// <param name="File">The file holding it (its bytes, nothing stripped), or null.</param>
public sealed record ImageBuildSecret(string Id, string? EnvironmentVariable, FilePath? File);
