using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace ImageBuild.Oci.Registry;

/// <summary>
/// Sends one registry request: answers 401 challenges (once), follows redirects when asked (Authorization only to
/// the registry's own host), and retries with exponential backoff on 5xx, 429, connection failures and timeouts,
/// honouring Retry-After and reporting each retry through RegistryOptions.Warning.
/// </summary>
internal sealed class RegistryTransport : IDisposable
{
    private const int MaxRedirects = 10;
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromMinutes(2);

    private readonly HttpClient _http;
    private readonly RegistryOptions _options;
    private readonly RegistryAuthenticator _authenticator;
    private readonly string _authority;

    public RegistryTransport(OciReference repository, RegistryOptions options, HttpMessageHandler handler, bool disposeHandler, Uri baseUri)
    {
        Repository = repository;
        _options = options;
        _http = new HttpClient(handler, disposeHandler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        _authority = baseUri.Authority;
        _authenticator = new RegistryAuthenticator(repository, new CredentialResolver(repository, options));
    }

    public OciReference Repository { get; }

    public RegistryOptions Options => _options;

    /// <summary>
    /// Sends the request <paramref name="create"/> makes (called again for each attempt), returning the response
    /// headers of the first non-retryable answer. 401s that cannot be answered throw Unauthorized.
    /// </summary>
    public async Task<HttpResponseMessage> SendAsync(Func<HttpRequestMessage> create, string what, CancellationToken ct,
        bool followRedirects = false, bool retry = true)
    {
        bool answeredChallenge = false;
        for (int attempt = 1; ; attempt++)
        {
            Uri? location = null;
            for (int redirects = 0; ; redirects++)
            {
                var request = create();
                if (location is not null) request.RequestUri = location;
                bool toRegistry = request.RequestUri!.Authority == _authority;
                var sentAuthorization = toRegistry ? _authenticator.Current : null;
                request.Headers.Authorization = sentAuthorization;
                HttpResponseMessage response;
                try
                {
                    response = await SendOnceAsync(request, ct).ConfigureAwait(false);
                }
                catch (Exception e) when (IsTransient(e, ct))
                {
                    request.Dispose();
                    if (!retry || attempt >= _options.MaxAttempts)
                        throw new RegistryException(RegistryFailure.Unreachable, $"{Repository}: {what} failed: {Describe(e)}{Attempts(attempt)}", null, e);
                    await BackoffAsync(attempt, null, what, Describe(e), ct).ConfigureAwait(false);
                    break;
                }

                if (response.StatusCode == HttpStatusCode.Unauthorized && toRegistry)
                {
                    if (!answeredChallenge
                        && await _authenticator.AnswerAsync(response, sentAuthorization, SendWithoutAuthenticationAsync, ct).ConfigureAwait(false))
                    {
                        answeredChallenge = true;
                        response.Dispose();
                        request.Dispose();
                        redirects--;
                        continue;
                    }
                    response.Dispose();
                    request.Dispose();
                    throw new RegistryException(RegistryFailure.Unauthorized,
                        $"{Repository}: {what} failed: the registry refused {_authenticator.CredentialDescription} (401 Unauthorized)", 401);
                }
                if (followRedirects && IsRedirect(response.StatusCode) && response.Headers.Location is { } next)
                {
                    if (redirects >= MaxRedirects)
                    {
                        response.Dispose();
                        throw new RegistryException(RegistryFailure.Protocol, $"{Repository}: {what} failed: more than {MaxRedirects} redirects");
                    }
                    location = next.IsAbsoluteUri ? next : new Uri(request.RequestUri!, next);
                    response.Dispose();
                    request.Dispose();
                    continue;
                }
                if (IsTransientStatus(response.StatusCode) && retry && attempt < _options.MaxAttempts)
                {
                    var retryAfter = RetryAfter(response);
                    string status = $"{(int)response.StatusCode} {response.ReasonPhrase}";
                    response.Dispose();
                    request.Dispose();
                    await BackoffAsync(attempt, retryAfter, what, status, ct).ConfigureAwait(false);
                    break;
                }
                if (IsTransientStatus(response.StatusCode))
                {
                    var failure = await FailureAsync(response, what, ct).ConfigureAwait(false);
                    throw new RegistryException(RegistryFailure.Unreachable, failure.Message + Attempts(attempt), failure.StatusCode);
                }
                return response;
            }
        }
    }

    /// <summary>A request sent as is, with retries but no registry credentials (token services, redirected storage).</summary>
    public Task<HttpResponseMessage> SendWithoutAuthenticationAsync(Func<HttpRequestMessage> create, CancellationToken ct) =>
        SendPlainAsync(create, "token request", ct);

    private async Task<HttpResponseMessage> SendPlainAsync(Func<HttpRequestMessage> create, string what, CancellationToken ct)
    {
        for (int attempt = 1; ; attempt++)
        {
            using var request = create();
            try
            {
                var response = await SendOnceAsync(request, ct).ConfigureAwait(false);
                if (IsTransientStatus(response.StatusCode) && attempt < _options.MaxAttempts)
                {
                    var retryAfter = RetryAfter(response);
                    string status = $"{(int)response.StatusCode} {response.ReasonPhrase}";
                    response.Dispose();
                    await BackoffAsync(attempt, retryAfter, what, status, ct).ConfigureAwait(false);
                    continue;
                }
                return response;
            }
            catch (Exception e) when (IsTransient(e, ct))
            {
                if (attempt >= _options.MaxAttempts)
                    throw new RegistryException(RegistryFailure.Unreachable, $"{Repository}: {what} to {request.RequestUri!.Host} failed: {Describe(e)}{Attempts(attempt)}", null, e);
                await BackoffAsync(attempt, null, what, Describe(e), ct).ConfigureAwait(false);
            }
        }
    }

    private async Task<HttpResponseMessage> SendOnceAsync(HttpRequestMessage request, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.Timeout);
        return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
    }

    /// <summary>Waits before attempt <paramref name="attempt"/>+1 and reports it as one warning line.</summary>
    public async Task BackoffAsync(int attempt, TimeSpan? retryAfter, string what, string reason, CancellationToken ct)
    {
        var delay = Backoff(attempt);
        if (retryAfter is { } ra && ra > delay) delay = ra < MaxRetryAfter ? ra : MaxRetryAfter;
        _options.Warning?.Invoke($"{Repository}: {what}: {reason}; retrying in {delay.TotalSeconds:0.###} s (attempt {attempt + 1} of {_options.MaxAttempts})");
        if (delay > TimeSpan.Zero) await Task.Delay(delay, ct).ConfigureAwait(false);
    }

    private TimeSpan Backoff(int attempt)
    {
        double ms = _options.InitialBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 20));
        return ms > MaxBackoff.TotalMilliseconds ? MaxBackoff : TimeSpan.FromMilliseconds(ms);
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date && response.Headers.Date is { } now) return date - now;
        return null;
    }

    /// <summary>True for failures worth another attempt: connection failures, resets, timeouts (not the caller's cancel).</summary>
    public static bool IsTransient(Exception e, CancellationToken ct) => e switch
    {
        OperationCanceledException => !ct.IsCancellationRequested,
        HttpRequestException h => h.StatusCode is null || IsTransientStatus(h.StatusCode.Value),
        IOException => true,
        System.Net.Sockets.SocketException => true,
        _ => false,
    };

    public static bool IsTransientStatus(HttpStatusCode status) => (int)status >= 500 || status == HttpStatusCode.TooManyRequests;

    private static bool IsRedirect(HttpStatusCode status) =>
        status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
            or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private string Attempts(int attempt) => attempt > 1 ? $" (after {attempt} attempts)" : "";

    /// <summary>A one-line description of a transport failure without .NET's exception text.</summary>
    public static string Describe(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Net.Sockets.SocketException s)
                return s.SocketErrorCode switch
                {
                    System.Net.Sockets.SocketError.ConnectionRefused => "connection refused",
                    System.Net.Sockets.SocketError.ConnectionReset => "connection reset",
                    System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.NoData => "host not found",
                    System.Net.Sockets.SocketError.TimedOut => "connection timed out",
                    _ => "network error (" + s.SocketErrorCode + ")",
                };
            if (inner is System.Security.Authentication.AuthenticationException)
                return "TLS handshake failed (the server's certificate is not trusted: give its CA with CaFile)";
        }
        return e switch
        {
            OperationCanceledException => "no progress within the timeout",
            HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } => "TLS handshake failed",
            HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } => "the connection closed before the response ended",
            HttpRequestException { HttpRequestError: HttpRequestError.NameResolutionError } => "host not found",
            HttpRequestException { HttpRequestError: HttpRequestError.InvalidResponse } => "invalid HTTP response",
            HttpRequestException => "connection failed",
            IOException => "the connection broke",
            _ => "network error",
        };
    }

    /// <summary>
    /// The exception for an unexpected answer: its Kind from the status (401, 403, 404, other 4xx, 5xx) and the
    /// registry's own error code and message (distribution-spec error JSON) on one line.
    /// </summary>
    public async Task<RegistryException> FailureAsync(HttpResponseMessage response, string what, CancellationToken ct)
    {
        using (response)
        {
            int status = (int)response.StatusCode;
            string detail = "";
            try
            {
                var body = await ReadLimitedAsync(response, 16 << 10, ct).ConfigureAwait(false);
                if (body is not null) detail = ErrorDetail(body);
            }
            catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                detail = "";
            }
            var kind = status switch
            {
                401 => RegistryFailure.Unauthorized,
                403 => RegistryFailure.Denied,
                404 => RegistryFailure.NotFound,
                >= 500 or 429 => RegistryFailure.Unreachable,
                >= 400 => RegistryFailure.Refused,
                _ => RegistryFailure.Protocol,
            };
            return new RegistryException(kind, $"{Repository}: {what} failed: {status} {response.ReasonPhrase}{detail}", status);
        }
    }

    private static string ErrorDetail(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                foreach (var error in errors.EnumerateArray())
                {
                    string code = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "";
                    string message = error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : "";
                    string text = (code + (message.Length > 0 ? ": " + message : "")).Replace('\r', ' ').Replace('\n', ' ');
                    if (text.Length > 200) text = text[..200];
                    return text.Length > 0 ? " (" + text + ")" : "";
                }
            }
        }
        catch (JsonException)
        {
            return "";
        }
        return "";
    }

    /// <summary>The whole body when it is at most <paramref name="limit"/> bytes, else null.</summary>
    public static async Task<byte[]?> ReadLimitedAsync(HttpResponseMessage response, int limit, CancellationToken ct)
    {
        if (response.Content.Headers.ContentLength is long declared && declared > limit) return null;
        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 << 10];
        int n;
        while ((n = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + n > limit) return null;
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }

    /// <summary>Resolves a Location header against the request it answers.</summary>
    public static Uri Resolve(HttpResponseMessage response, Uri requestUri, string what, OciReference repository)
    {
        var location = response.Headers.Location
            ?? throw new RegistryException(RegistryFailure.Protocol, $"{repository}: {what}: the registry's answer has no Location");
        return location.IsAbsoluteUri ? location : new Uri(requestUri, location);
    }

    public static void AcceptJson(HttpRequestMessage request) =>
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));

    public void Dispose() => _http.Dispose();
}
