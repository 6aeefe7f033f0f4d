using System.Text;
using ImageBuild.Engine.Host;
using ImageBuild.Recipes.Model;

namespace ImageBuild.Recipes.Secrets;

/// <summary>
/// Reads a secret's value from its source. Problems are one line naming the secret's id and source, never its
/// value; a file is read only when it is a regular file of at most <see cref="MaxFileBytes"/> bytes.
/// </summary>
public static class SecretReader
{
    /// <summary>The largest secret file read (a passphrase or key file; bounded so a wrong path cannot exhaust memory).</summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>Why the secret cannot be read (null when it can), without reading a file's content.</summary>
    public static string? Check(RecipeSecret secret, Func<string, string?>? getenv = null) => Read(secret, getenv, readValue: false, out _);

    /// <summary>The secret's bytes, or null with <paramref name="problem"/> set.</summary>
    public static byte[]? Read(RecipeSecret secret, out string? problem, Func<string, string?>? getenv = null)
    {
        problem = Read(secret, getenv, readValue: true, out var value);
        return value;
    }

    private static string? Read(RecipeSecret secret, Func<string, string?>? getenv, bool readValue, out byte[]? value)
    {
        value = null;
        string head = $"secret '{secret.Id}'";
        if (secret.Source == SecretSourceKind.Environment)
        {
            string? text = (getenv ?? Environment.GetEnvironmentVariable)(secret.Name);
            if (text is null) return $"{head}: environment variable '{secret.Name}' is not set";
            if (readValue) value = Encoding.UTF8.GetBytes(text);
            return null;
        }
        string full = secret.FullPath;
        var type = FileKind.Of(full, followLinks: true);
        if (type == FileType.Missing) return $"{head}: file '{secret.Name}' does not exist (looked for {full})";
        if (type != FileType.Regular) return $"{head}: file '{secret.Name}' is {FileKind.Describe(type)}, not a regular file (recipes never read devices, FIFOs or sockets)";
        try
        {
            using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length > MaxFileBytes) return $"{head}: file '{secret.Name}' is larger than {MaxFileBytes} bytes; a secret file holds a passphrase or key";
            if (!readValue) return null;
            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            value = bytes;
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The exception names the file, never its content.
            return $"{head}: file '{secret.Name}' cannot be read: {e.Message.Replace('\n', ' ')}";
        }
    }
}
