namespace ImageBuild.Recipes.Model;

/// <summary>Where a secret's value is read from: an environment variable or a file (never the recipe itself).</summary>
public enum SecretSourceKind
{
    /// <summary>The value of an environment variable, as UTF-8 bytes.</summary>
    Environment,
    /// <summary>The bytes of a file, as qemu's <c>secret,file=</c> reads them (nothing stripped).</summary>
    File,
}

/// <summary>
/// A secret a recipe declares under <c>secrets:</c> (or a host adds): its id, which step options name
/// (<c>key-secret: ID</c>, <c>encrypt.key-secret: ID</c>), and where its value comes from. The value itself is read
/// only when a step needs it and never kept in the recipe, a plan, a key, an event or a message.
/// </summary>
/// <param name="Id">The id options name.</param>
/// <param name="Source">Environment variable or file.</param>
/// <param name="Name">The variable's name, or the file's path as written (relative to <paramref name="BaseDirectory"/>).</param>
/// <param name="BaseDirectory">What a relative file path is relative to: the recipe's directory, or the host's.</param>
/// <param name="Mark">Where it is declared in the recipe; <see cref="Mark.None"/> when a host gave it.</param>
public sealed record RecipeSecret(string Id, SecretSourceKind Source, string Name, string BaseDirectory, Mark Mark)
{
    /// <summary>A secret read from environment variable <paramref name="variable"/> (for hosts).</summary>
    public static RecipeSecret FromEnvironment(string id, string variable) =>
        new(id, SecretSourceKind.Environment, variable, "", Mark.None);

    /// <summary>
    /// A secret read from the file <paramref name="path"/>, relative to <paramref name="baseDirectory"/> (for hosts;
    /// null: the request's base directory).
    /// </summary>
    public static RecipeSecret FromFile(string id, string path, string? baseDirectory = null) =>
        new(id, SecretSourceKind.File, path, baseDirectory ?? "", Mark.None);

    /// <summary>
    /// What the secret is, without its value: the id and the source as written (a file by the path the recipe gives,
    /// so that the same recipe elsewhere has the same identity). Step keys cover a hash of this.
    /// </summary>
    public string Identity => $"{Id}\n{(Source == SecretSourceKind.Environment ? "env" : "file")}:{Name}";

    /// <summary>How messages name the source: "environment variable 'X'" or "file 'p'".</summary>
    public string Describe() => Source == SecretSourceKind.Environment ? $"environment variable '{Name}'" : $"file '{Name}'";

    /// <summary>This secret with <paramref name="baseDirectory"/> as its base when a host gave a file without one.</summary>
    public RecipeSecret AnchoredAt(string baseDirectory) =>
        Source == SecretSourceKind.File && BaseDirectory.Length == 0 ? this with { BaseDirectory = baseDirectory } : this;

    /// <summary>The file's full path (file secrets).</summary>
    public string FullPath => Path.GetFullPath(Path.Combine(BaseDirectory, Name));
}
