using System.Diagnostics;
using System.Text.Json;

namespace ImageBuild.Oci.Registry;

/// <summary>
/// Runs a docker credential helper (<c>docker-credential-NAME get</c>, the server on stdin, JSON
/// <c>{"Username","Secret"}</c> on stdout), found on PATH and started without a shell. Its output is never shown.
/// </summary>
internal sealed class CredentialHelper
{
    private static readonly TimeSpan HelperTimeout = TimeSpan.FromSeconds(30);
    private readonly OciReference _repository;
    private readonly RegistryOptions _options;

    public CredentialHelper(OciReference repository, RegistryOptions options)
    {
        _repository = repository;
        _options = options;
    }

    /// <summary>The helper's credentials for <paramref name="server"/>, or null when it has none.</summary>
    public RegistryCredential? Get(string name, string server, string configFile)
    {
        string program = "docker-credential-" + name;
        if (name.Contains('/') || name.Contains('\\') || name.Length == 0)
            throw Fail($"credential helper name '{name}' in '{configFile}' is not a program name");
        string? path = FindOnPath(program) ?? throw Fail($"credential helper '{program}' named in '{configFile}' is not on PATH");

        var start = new ProcessStartInfo(path, ["get"])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        string output;
        int exitCode;
        try
        {
            using var process = Process.Start(start) ?? throw Fail($"credential helper '{program}' could not be started");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardInput.Write(server);
            process.StandardInput.Close();
            if (!process.WaitForExit(HelperTimeout))
            {
                process.Kill(entireProcessTree: true);
                throw Fail($"credential helper '{program}' did not answer within {HelperTimeout.TotalSeconds:0} s");
            }
            output = stdout.GetAwaiter().GetResult();
            _ = stderr.GetAwaiter().GetResult();
            exitCode = process.ExitCode;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            throw Fail($"credential helper '{program}' could not be run");
        }
        // The helpers answer "credentials not found" with a non-zero exit: anonymous access then.
        if (exitCode != 0) return null;
        try
        {
            using var document = JsonDocument.Parse(output);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("Username", out var u) && u.ValueKind == JsonValueKind.String
                && root.TryGetProperty("Secret", out var s) && s.ValueKind == JsonValueKind.String
                && u.GetString() is { Length: > 0 } user)
                return new RegistryCredential(user, s.GetString()!, $"credential helper '{program}'");
        }
        catch (JsonException)
        {
            // Reported below without the output, which may hold a secret.
        }
        throw Fail($"credential helper '{program}' answered something other than {{\"Username\",\"Secret\"}} JSON");
    }

    private string? FindOnPath(string program)
    {
        foreach (var dir in (_options.Environment("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(dir, program);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private RegistryException Fail(string what) => new(RegistryFailure.Unauthorized, $"{_repository}: {what}");
}
