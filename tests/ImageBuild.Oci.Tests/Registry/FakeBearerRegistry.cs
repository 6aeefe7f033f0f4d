using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ImageBuild.Oci.Artifacts;

namespace ImageBuild.Oci.Tests.Registry;

/// <summary>
/// An in-process registry with token authentication (docker's token flow): registry.fake answers 401 with a Bearer
/// challenge naming auth.fake's token endpoint, which hands out tokens per scope (checking basic credentials when
/// <see cref="Password"/> is set); blob GETs are redirected to storage.fake, which records the Authorization it got.
/// </summary>
internal sealed class FakeBearerRegistry : HttpMessageHandler
{
    /// <summary>The token endpoint named in the challenge.</summary>
    public string Realm { get; init; } = "https://auth.fake/token";
    private readonly ConcurrentDictionary<string, string> _tokens = new();
    private int _issued;

    public FakeBearerRegistry(byte[] blob) => Blob = blob;

    public byte[] Blob { get; }

    public string BlobDigest => OciDigest.Of(Blob);

    /// <summary>When set, the token endpoint wants Basic User:Password.</summary>
    public string? User { get; init; }

    public string? Password { get; init; }

    /// <summary>"access_token" instead of "token" in the token service's answer.</summary>
    public bool AccessTokenField { get; init; }

    /// <summary>The registry refuses every token (as after a revocation).</summary>
    public bool RefuseTokens { get; set; }

    public int TokenRequests;

    public ConcurrentQueue<string> TokenRequestAuthorizations { get; } = new();

    public ConcurrentQueue<string?> StorageAuthorizations { get; } = new();

    /// <summary>When set, the token endpoint also takes this refresh token by POST (docker's identity tokens).</summary>
    public string? RefreshToken { get; init; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        return uri.Host switch
        {
            "auth.fake" => Token(request, request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken)),
            "storage.fake" => Storage(request),
            "registry.fake" => Registry(request),
            _ => new HttpResponseMessage(HttpStatusCode.BadGateway),
        };
    }

    private static List<(string Key, string Value)> Form(string text) =>
        text.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2)).Select(p => (Key: p[0], Value: Uri.UnescapeDataString(p[1].Replace('+', ' ')))).ToList();

    private HttpResponseMessage Token(HttpRequestMessage request, string body)
    {
        Interlocked.Increment(ref TokenRequests);
        TokenRequestAuthorizations.Enqueue(request.Method == HttpMethod.Post ? "POST " + body : request.Headers.Authorization?.ToString() ?? "");
        var query = request.Method == HttpMethod.Post ? Form(body) : Form(request.RequestUri!.Query);
        if (!query.Contains(("service", "registry.fake"))) return new HttpResponseMessage(HttpStatusCode.BadRequest);
        if (request.Method == HttpMethod.Post)
        {
            if (RefreshToken is null || !query.Contains(("grant_type", "refresh_token")) || !query.Contains(("refresh_token", RefreshToken)))
                return new HttpResponseMessage(HttpStatusCode.Unauthorized);
        }
        else if (User is not null)
        {
            string expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(User + ":" + Password));
            if (request.Headers.Authorization?.ToString() != expected) return new HttpResponseMessage(HttpStatusCode.Unauthorized);
        }
        string scope = string.Join(' ', query.Where(q => q.Key == "scope").Select(q => q.Value));
        string token = "tok-" + Interlocked.Increment(ref _issued);
        _tokens[token] = scope;
        string field = AccessTokenField ? "access_token" : "token";
        return new HttpResponseMessage(HttpStatusCode.OK)
        {
            Content = new StringContent($"{{\"{field}\":\"{token}\",\"expires_in\":300}}", Encoding.UTF8, "application/json"),
        };
    }

    private HttpResponseMessage Storage(HttpRequestMessage request)
    {
        StorageAuthorizations.Enqueue(request.Headers.Authorization?.ToString());
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Blob) };
    }

    private HttpResponseMessage Registry(HttpRequestMessage request)
    {
        string path = request.RequestUri!.AbsolutePath;
        string needed = request.Method == HttpMethod.Get || request.Method == HttpMethod.Head
            ? "repository:app:pull" : "repository:app:pull,push";
        var auth = request.Headers.Authorization;
        bool ok = !RefuseTokens && auth is { Scheme: "Bearer" } && _tokens.TryGetValue(auth.Parameter ?? "", out var scope) && scope == needed;
        if (!ok)
        {
            var challenge = new HttpResponseMessage(HttpStatusCode.Unauthorized) { Content = new StringContent("{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}") };
            challenge.Headers.WwwAuthenticate.Add(new AuthenticationHeaderValue("Bearer", $"realm=\"{Realm}\",service=\"registry.fake\",scope=\"{needed}\""));
            return challenge;
        }
        if (path == "/v2/app/blobs/" + BlobDigest)
        {
            if (request.Method == HttpMethod.Head)
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Blob) };
            var redirect = new HttpResponseMessage(HttpStatusCode.TemporaryRedirect);
            redirect.Headers.Location = new Uri("https://storage.fake/blobs/" + BlobDigest[7..] + "?signature=x");
            return redirect;
        }
        if (path == "/v2/app/blobs/uploads/" && request.Method == HttpMethod.Post)
        {
            var accepted = new HttpResponseMessage(HttpStatusCode.Accepted);
            accepted.Headers.Location = new Uri("/v2/app/blobs/uploads/session-1", UriKind.Relative);
            return accepted;
        }
        if (path == "/v2/app/blobs/uploads/session-1" && request.Method == HttpMethod.Put)
            return new HttpResponseMessage(HttpStatusCode.Created);
        return new HttpResponseMessage(HttpStatusCode.NotFound);
    }
}
