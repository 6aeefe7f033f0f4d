using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace ImageBuild.Oci.Registry;

/// <summary>
/// Answers a registry's 401 challenges: Basic with the resolved credentials, or Bearer with a token fetched from the
/// challenge's realm (with the credentials when there are any, else anonymously), cached per scope until it expires.
/// The header that last worked is sent up front with later requests to the registry.
/// </summary>
internal sealed class RegistryAuthenticator
{
    private static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromSeconds(60);
    private const int MaxTokenResponse = 1 << 20;

    private readonly OciReference _repository;
    private readonly CredentialResolver _resolver;
    private readonly Dictionary<string, (AuthenticationHeaderValue Header, long ExpiresAt)> _tokens = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private bool _resolved;
    private RegistryCredential? _credential;
    private AuthenticationHeaderValue? _current;
    private long _currentExpiresAt = long.MaxValue;

    public RegistryAuthenticator(OciReference repository, CredentialResolver resolver)
    {
        _repository = repository;
        _resolver = resolver;
    }

    /// <summary>The header to send with a request to the registry, or null (anonymous so far).</summary>
    public AuthenticationHeaderValue? Current
    {
        get
        {
            lock (_lock)
                return _current is not null && Stopwatch.GetTimestamp() < _currentExpiresAt ? _current : null;
        }
    }

    /// <summary>Where the credentials in use come from (for error messages), or "anonymous access".</summary>
    public string CredentialDescription
    {
        get
        {
            lock (_lock)
                return _credential?.ToString() ?? "anonymous access";
        }
    }

    /// <summary>
    /// Prepares the header answering <paramref name="response"/>'s challenge. False when there is nothing new to try
    /// (no credentials for Basic, or the same header was just refused).
    /// </summary>
    public async Task<bool> AnswerAsync(HttpResponseMessage response, AuthenticationHeaderValue? refused,
        Func<Func<HttpRequestMessage>, CancellationToken, Task<HttpResponseMessage>> sendWithoutAuthentication, CancellationToken ct)
    {
        var challenge = response.Headers.WwwAuthenticate
            .Select(h => AuthenticationChallenge.Parse(h.Scheme, h.Parameter))
            .FirstOrDefault(c => c is not null && (c.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase) || c.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase)));
        if (challenge is null) return false;
        var credential = Credential();
        AuthenticationHeaderValue header;
        long expiresAt = long.MaxValue;
        if (challenge.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            if (credential is null) return false;
            header = BasicHeader(credential);
        }
        else
        {
            (header, expiresAt) = await TokenAsync(challenge, credential, refused, sendWithoutAuthentication, ct).ConfigureAwait(false);
        }
        if (refused is not null && header.ToString() == refused.ToString()) return false;
        lock (_lock)
        {
            _current = header;
            _currentExpiresAt = expiresAt;
        }
        return true;
    }

    private RegistryCredential? Credential()
    {
        lock (_lock)
        {
            if (!_resolved)
            {
                _credential = _resolver.Find();
                _resolved = true;
            }
            return _credential;
        }
    }

    private static AuthenticationHeaderValue BasicHeader(RegistryCredential credential) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credential.Username + ":" + credential.Secret)));

    private async Task<(AuthenticationHeaderValue, long)> TokenAsync(AuthenticationChallenge challenge, RegistryCredential? credential,
        AuthenticationHeaderValue? refused, Func<Func<HttpRequestMessage>, CancellationToken, Task<HttpResponseMessage>> send, CancellationToken ct)
    {
        string realm = challenge["realm"] ?? throw new RegistryException(RegistryFailure.Protocol, $"{_repository}: the registry's Bearer challenge names no realm");
        if (!Uri.TryCreate(realm, UriKind.Absolute, out var realmUri) || (realmUri.Scheme != Uri.UriSchemeHttps && realmUri.Scheme != Uri.UriSchemeHttp))
            throw new RegistryException(RegistryFailure.Protocol, $"{_repository}: the registry's token realm is not an http(s) URL");
        string? service = challenge["service"];
        string scope = challenge["scope"] ?? "";
        string cacheKey = realm + "\n" + service + "\n" + scope;
        lock (_lock)
        {
            if (_tokens.TryGetValue(cacheKey, out var cached) && Stopwatch.GetTimestamp() < cached.ExpiresAt
                && (refused is null || cached.Header.ToString() != refused.ToString()))
                return cached;
        }

        var query = new StringBuilder();
        if (service is not null) query.Append("service=").Append(Uri.EscapeDataString(service));
        foreach (var s in scope.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            query.Append(query.Length > 0 ? "&" : "").Append("scope=").Append(Uri.EscapeDataString(s));
        var builder = new UriBuilder(realmUri);
        string existing = builder.Query.TrimStart('?');
        builder.Query = existing.Length > 0 && query.Length > 0 ? existing + "&" + query : existing + query;
        var tokenUri = builder.Uri;

        using var response = await send(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, tokenUri);
            if (credential is not null) request.Headers.Authorization = BasicHeader(credential);
            return request;
        }, ct).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            throw new RegistryException(response.StatusCode == HttpStatusCode.Forbidden ? RegistryFailure.Denied : RegistryFailure.Unauthorized,
                $"{_repository}: the token service {realmUri.Host} refused {CredentialDescriptionOf(credential)} ({(int)response.StatusCode})", (int)response.StatusCode);
        if (!response.IsSuccessStatusCode)
            throw new RegistryException(RegistryFailure.Protocol, $"{_repository}: the token service {realmUri.Host} answered {(int)response.StatusCode}", (int)response.StatusCode);

        byte[] body = await RegistryTransport.ReadLimitedAsync(response, MaxTokenResponse, ct).ConfigureAwait(false)
            ?? throw new RegistryException(RegistryFailure.Protocol, $"{_repository}: the token service {realmUri.Host} answered more than 1 MiB");
        string? token = null;
        TimeSpan lifetime = DefaultTokenLifetime;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (root.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String) token = t.GetString();
                if (string.IsNullOrEmpty(token) && root.TryGetProperty("access_token", out var a) && a.ValueKind == JsonValueKind.String) token = a.GetString();
                if (root.TryGetProperty("expires_in", out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int seconds) && seconds > 0)
                    lifetime = TimeSpan.FromSeconds(seconds);
            }
        }
        catch (JsonException)
        {
            token = null;
        }
        if (string.IsNullOrEmpty(token))
            throw new RegistryException(RegistryFailure.Protocol, $"{_repository}: the token service {realmUri.Host} answered no token");
        // Expire a little early so that a token is not sent just as it lapses.
        var margin = lifetime > TimeSpan.FromSeconds(20) ? TimeSpan.FromSeconds(10) : TimeSpan.Zero;
        long expiresAt = Stopwatch.GetTimestamp() + (long)((lifetime - margin).TotalSeconds * Stopwatch.Frequency);
        var entry = (new AuthenticationHeaderValue("Bearer", token), expiresAt);
        lock (_lock)
            _tokens[cacheKey] = entry;
        return entry;
    }

    private static string CredentialDescriptionOf(RegistryCredential? credential) => credential?.ToString() ?? "anonymous access";
}
