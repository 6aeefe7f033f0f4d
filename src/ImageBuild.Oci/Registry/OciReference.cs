using System.Net;
using ImageBuild.Oci.Artifacts;

namespace ImageBuild.Oci.Registry;

/// <summary>
/// oci://HOST[:PORT]/REPO[/MORE][:TAG|@sha256:HEX]; REPO per distribution-spec's grammar (lower case,
/// <c>[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*</c> components separated by '/'); tag <c>[A-Za-z0-9_][A-Za-z0-9._-]{0,127}</c>.
/// The <c>oci://</c> prefix is optional when parsing; the first path component is always the registry host.
/// </summary>
public sealed record OciReference(string Registry, string Repository, string? Tag = null, string? Digest = null)
{
    public const string Scheme = "oci://";
    private const int MaxRepositoryLength = 255;

    /// <summary>Parses a reference; throws <see cref="FormatException"/> with a one-line message naming the text.</summary>
    public static OciReference Parse(string text) =>
        TryParse(text, out var reference, out var error) ? reference! : throw new FormatException(error);

    /// <summary>Parses a reference; on failure <paramref name="error"/> is a one-line message naming the text.</summary>
    public static bool TryParse(string text, out OciReference? reference, out string? error)
    {
        reference = null;
        error = Validate(text, out var registry, out var repository, out var tag, out var digest);
        if (error is not null)
        {
            error = $"'{OneLine(text)}' is not an OCI reference (oci://HOST[:PORT]/REPO[:TAG|@sha256:HEX]): {error}";
            return false;
        }
        reference = new OciReference(registry!, repository!, tag, digest);
        return true;
    }

    /// <summary>The same repository with this tag and no digest.</summary>
    public OciReference WithTag(string tag)
    {
        if (!IsValidTag(tag)) throw new FormatException($"'{OneLine(tag)}' is not a valid tag ([A-Za-z0-9_][A-Za-z0-9._-]{{0,127}})");
        return this with { Tag = tag, Digest = null };
    }

    /// <summary>The same repository at this digest (the tag, if any, is kept for display).</summary>
    public OciReference WithDigest(string digest)
    {
        if (!OciDigest.IsValid(digest)) throw new FormatException($"'{OneLine(digest)}' is not a sha256 digest (sha256: and 64 lower-case hex digits)");
        return this with { Digest = digest };
    }

    /// <summary>What the registry API is asked for: the digest, else the tag, else <c>latest</c>.</summary>
    public string Reference => Digest ?? Tag ?? "latest";

    /// <summary>The registry's host name without port or brackets.</summary>
    public string HostName
    {
        get
        {
            if (Registry.StartsWith('['))
                return Registry[1..Registry.IndexOf(']')];
            int colon = Registry.LastIndexOf(':');
            return colon < 0 ? Registry : Registry[..colon];
        }
    }

    /// <summary>True for localhost, 127.x and [::1]: the only registries plain HTTP is allowed for.</summary>
    public bool IsLoopback
    {
        get
        {
            string host = HostName;
            if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
            return IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip);
        }
    }

    public override string ToString() =>
        Scheme + Registry + "/" + Repository + (Tag is null ? "" : ":" + Tag) + (Digest is null ? "" : "@" + Digest);

    /// <summary>True for a tag matching <c>[A-Za-z0-9_][A-Za-z0-9._-]{0,127}</c>.</summary>
    public static bool IsValidTag(string tag)
    {
        if (string.IsNullOrEmpty(tag) || tag.Length > 128) return false;
        if (!(char.IsAsciiLetterOrDigit(tag[0]) || tag[0] == '_')) return false;
        foreach (char c in tag)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-')) return false;
        return true;
    }

    /// <summary>True for a repository name of distribution-spec's grammar.</summary>
    public static bool IsValidRepository(string repository)
    {
        if (string.IsNullOrEmpty(repository) || repository.Length > MaxRepositoryLength) return false;
        foreach (var component in repository.Split('/'))
            if (!IsValidComponent(component)) return false;
        return true;
    }

    private static bool IsValidComponent(string c)
    {
        // [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*
        if (c.Length == 0 || !IsLowerAlnum(c[0]) || !IsLowerAlnum(c[^1])) return false;
        for (int i = 0; i < c.Length;)
        {
            if (IsLowerAlnum(c[i])) { i++; continue; }
            int start = i;
            while (i < c.Length && !IsLowerAlnum(c[i])) i++;
            var sep = c.AsSpan(start, i - start);
            bool ok = sep is "." or "_" or "__" || (sep.Length > 0 && !sep.ContainsAnyExcept('-'));
            if (!ok) return false;
        }
        return true;
    }

    private static bool IsLowerAlnum(char c) => char.IsAsciiDigit(c) || c is >= 'a' and <= 'z';

    private static string? Validate(string text, out string? registry, out string? repository, out string? tag, out string? digest)
    {
        registry = repository = tag = digest = null;
        if (string.IsNullOrWhiteSpace(text)) return "it is empty";
        string rest = text.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) ? text[Scheme.Length..] : text;
        if (rest.Contains("://", StringComparison.Ordinal)) return "only the oci:// scheme is accepted";
        int slash = rest.IndexOf('/');
        if (slash <= 0) return "it names no repository after the registry host";
        string host = rest[..slash];
        string? hostError = ValidateHost(host);
        if (hostError is not null) return hostError;
        registry = host.ToLowerInvariant();
        string path = rest[(slash + 1)..];

        int at = path.IndexOf('@');
        if (at >= 0)
        {
            digest = path[(at + 1)..];
            path = path[..at];
            if (!OciDigest.IsValid(digest)) return $"'{digest}' is not a sha256 digest (sha256: and 64 lower-case hex digits)";
        }
        int colon = path.LastIndexOf(':');
        if (colon >= 0 && path.IndexOf('/', colon) < 0)
        {
            tag = path[(colon + 1)..];
            path = path[..colon];
            if (!IsValidTag(tag)) return $"'{tag}' is not a valid tag ([A-Za-z0-9_][A-Za-z0-9._-]{{0,127}})";
        }
        if (!IsValidRepository(path))
            return $"'{path}' is not a valid repository (lower-case [a-z0-9] components joined by '.', '_', '__' or '-', separated by '/')";
        repository = path;
        return null;
    }

    private static string? ValidateHost(string host)
    {
        string name = host;
        string? port = null;
        if (host.StartsWith('['))
        {
            int close = host.IndexOf(']');
            if (close < 0) return $"'{host}' is not a valid registry host";
            name = host[1..close];
            if (!IPAddress.TryParse(name, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
                return $"'{host}' is not a valid registry host";
            string after = host[(close + 1)..];
            if (after.Length > 0)
            {
                if (after[0] != ':') return $"'{host}' is not a valid registry host";
                port = after[1..];
            }
        }
        else
        {
            int colon = host.IndexOf(':');
            if (colon >= 0) { name = host[..colon]; port = host[(colon + 1)..]; }
            if (name.Length == 0 || name.Length > 253) return $"'{host}' is not a valid registry host";
            foreach (var label in name.Split('.'))
            {
                if (label.Length == 0 || label.Length > 63 || label[0] == '-' || label[^1] == '-') return $"'{host}' is not a valid registry host";
                foreach (char c in label)
                    if (!(char.IsAsciiLetterOrDigit(c) || c == '-')) return $"'{host}' is not a valid registry host";
            }
        }
        if (port is not null && (!int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int p) || p is < 1 or > 65535 || port.Length > 5))
            return $"'{host}' has an invalid port";
        return null;
    }

    private static string OneLine(string? text) =>
        text is null ? "" : text.Replace('\r', ' ').Replace('\n', ' ');
}
