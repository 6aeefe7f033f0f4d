using System.Text;
using System.Text.Json;

namespace ImageBuild.Oci.Registry;

/// <summary>
/// Finds the credentials for a registry, first match wins: IMAGEBUILD_REGISTRY_USERNAME/PASSWORD (every registry);
/// RegistryOptions.AuthFile; REGISTRY_AUTH_FILE; $XDG_RUNTIME_DIR/containers/auth.json;
/// ~/.config/containers/auth.json; $DOCKER_CONFIG/config.json or ~/.docker/config.json. In those files
/// <c>credHelpers.{host}</c>, then <c>auths.{key}</c> (keys matched as docker and podman do), then <c>credsStore</c>.
/// </summary>
internal sealed class CredentialResolver
{
    public const string UsernameVariable = "IMAGEBUILD_REGISTRY_USERNAME";
    public const string PasswordVariable = "IMAGEBUILD_REGISTRY_PASSWORD";
    private const string DockerHubKey = "https://index.docker.io/v1/";
    private const int MaxFileSize = 1 << 20;

    private readonly OciReference _repository;
    private readonly RegistryOptions _options;

    public CredentialResolver(OciReference repository, RegistryOptions options)
    {
        _repository = repository;
        _options = options;
    }

    /// <summary>The credentials for the repository's registry, or null for anonymous access.</summary>
    public RegistryCredential? Find()
    {
        string? user = _options.Environment(UsernameVariable);
        string? password = _options.Environment(PasswordVariable);
        if (!string.IsNullOrEmpty(user) && password is not null)
            return new RegistryCredential(user, password, $"{UsernameVariable}/{PasswordVariable}");

        if (_options.AuthFile is not null)
        {
            if (!File.Exists(_options.AuthFile))
                throw new RegistryException(RegistryFailure.Unauthorized, $"{_repository}: credentials file '{_options.AuthFile}' does not exist");
            var found = FromFile(_options.AuthFile);
            if (found is not null) return found;
        }
        foreach (var file in DefaultFiles())
        {
            if (!File.Exists(file)) continue;
            var found = FromFile(file);
            if (found is not null) return found;
        }
        return null;
    }

    private IEnumerable<string> DefaultFiles()
    {
        string? env = _options.Environment("REGISTRY_AUTH_FILE");
        if (!string.IsNullOrEmpty(env)) yield return env;
        string? runtime = _options.Environment("XDG_RUNTIME_DIR");
        if (!string.IsNullOrEmpty(runtime)) yield return Path.Combine(runtime, "containers", "auth.json");
        string? home = _options.Environment("HOME");
        if (!string.IsNullOrEmpty(home)) yield return Path.Combine(home, ".config", "containers", "auth.json");
        string? docker = _options.Environment("DOCKER_CONFIG");
        if (!string.IsNullOrEmpty(docker)) yield return Path.Combine(docker, "config.json");
        else if (!string.IsNullOrEmpty(home)) yield return Path.Combine(home, ".docker", "config.json");
    }

    private RegistryCredential? FromFile(string file)
    {
        JsonDocument document;
        try
        {
            var info = new FileInfo(file);
            if (info.Length > MaxFileSize) throw new RegistryException(RegistryFailure.Unauthorized, $"{_repository}: credentials file '{file}' is larger than 1 MiB");
            document = JsonDocument.Parse(File.ReadAllBytes(file));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RegistryException(RegistryFailure.Unauthorized, $"{_repository}: credentials file '{file}' cannot be read");
        }
        catch (JsonException)
        {
            throw new RegistryException(RegistryFailure.Unauthorized, $"{_repository}: credentials file '{file}' is not valid JSON");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            string host = _repository.Registry;

            if (root.TryGetProperty("credHelpers", out var helpers) && helpers.ValueKind == JsonValueKind.Object)
                foreach (var key in CandidateKeys(host, includeRepositoryPaths: false))
                    if (helpers.TryGetProperty(key, out var helper) && helper.ValueKind == JsonValueKind.String)
                        return new CredentialHelper(_repository, _options).Get(helper.GetString()!, key, file);

            if (root.TryGetProperty("auths", out var auths) && auths.ValueKind == JsonValueKind.Object)
            {
                foreach (var key in CandidateKeys(host, includeRepositoryPaths: true))
                    foreach (var entry in auths.EnumerateObject())
                        if (NormalizeKey(entry.Name) == key)
                        {
                            var found = FromAuthEntry(entry.Value, file);
                            if (found is not null) return found;
                        }
            }

            if (root.TryGetProperty("credsStore", out var store) && store.ValueKind == JsonValueKind.String && store.GetString() is { Length: > 0 } storeName)
                return new CredentialHelper(_repository, _options).Get(storeName, host == "docker.io" ? DockerHubKey : host, file);
            return null;
        }
    }

    /// <summary>
    /// Keys naming this registry, most specific first: podman's host/repository prefixes, then the host;
    /// docker.io is also known as index.docker.io and https://index.docker.io/v1/.
    /// </summary>
    private IEnumerable<string> CandidateKeys(string host, bool includeRepositoryPaths)
    {
        if (includeRepositoryPaths)
        {
            string path = _repository.Repository;
            while (true)
            {
                yield return host + "/" + path;
                int slash = path.LastIndexOf('/');
                if (slash < 0) break;
                path = path[..slash];
            }
        }
        yield return host;
        if (host is "docker.io" or "registry-1.docker.io" or "index.docker.io")
        {
            yield return "index.docker.io";
            yield return "docker.io";
            yield return "registry-1.docker.io";
            if (includeRepositoryPaths) yield return DockerHubKey;
        }
    }

    /// <summary>Docker's convertToHostname: the key without scheme; podman keys may keep a repository path.</summary>
    private static string NormalizeKey(string key)
    {
        if (key == DockerHubKey) return key;
        string k = key;
        if (k.StartsWith("https://", StringComparison.OrdinalIgnoreCase)) k = k[8..];
        else if (k.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) k = k[7..];
        bool hadScheme = k.Length != key.Length;
        if (hadScheme)
        {
            int slash = k.IndexOf('/');
            if (slash >= 0) k = k[..slash];
        }
        return k.TrimEnd('/').ToLowerInvariant();
    }

    private static RegistryCredential? FromAuthEntry(JsonElement entry, string file)
    {
        if (entry.ValueKind != JsonValueKind.Object) return null;
        if (entry.TryGetProperty("auth", out var auth) && auth.ValueKind == JsonValueKind.String && auth.GetString() is { Length: > 0 } encoded)
        {
            string decoded;
            try { decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded)); }
            catch (FormatException) { return null; }
            int colon = decoded.IndexOf(':');
            if (colon <= 0) return null;
            return new RegistryCredential(decoded[..colon], decoded[(colon + 1)..], file);
        }
        if (entry.TryGetProperty("username", out var u) && u.ValueKind == JsonValueKind.String && u.GetString() is { Length: > 0 } user
            && entry.TryGetProperty("password", out var p) && p.ValueKind == JsonValueKind.String)
            return new RegistryCredential(user, p.GetString()!, file);
        return null;
    }
}
