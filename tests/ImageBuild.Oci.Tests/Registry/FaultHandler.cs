using System.Collections.Concurrent;
using System.Net;

namespace ImageBuild.Oci.Tests.Registry;

/// <summary>
/// A handler between the client and the real registry that records every request and lets a test replace or
/// damage chosen exchanges (injected 503s, connections dropped before or after sending, bodies cut mid-way).
/// </summary>
internal sealed class FaultHandler : DelegatingHandler
{
    /// <summary>Given the request, its 1-based number among requests of the same method, and the real send: the answer.</summary>
    public delegate Task<HttpResponseMessage> Interceptor(HttpRequestMessage request, int methodCount, Func<Task<HttpResponseMessage>> send);

    private readonly ConcurrentDictionary<string, int> _counts = new();

    public FaultHandler(HttpMessageHandler inner, Interceptor? intercept = null) : base(inner)
    {
        Intercept = intercept;
    }

    public Interceptor? Intercept { get; set; }

    /// <summary>"METHOD path?query [Range: ...] [auth]" per request, in order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        int count = _counts.AddOrUpdate(request.Method.Method, 1, (_, c) => c + 1);
        Requests.Enqueue($"{request.Method} {request.RequestUri!.PathAndQuery}"
            + (request.Headers.Range is { } r ? " Range: " + r : "")
            + (request.Headers.Authorization is { } a ? " auth:" + a.Scheme : ""));
        Task<HttpResponseMessage> Send() => base.SendAsync(request, cancellationToken);
        return Intercept is null ? Send() : Intercept(request, count, Send);
    }

    public int Count(string prefix) => Requests.Count(r => r.StartsWith(prefix, StringComparison.Ordinal));

    /// <summary>An answer with this status and no body.</summary>
    public static HttpResponseMessage Status(HttpStatusCode status, TimeSpan? retryAfter = null)
    {
        var response = new HttpResponseMessage(status) { Content = new ByteArrayContent([]) };
        if (retryAfter is { } delay) response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(delay);
        return response;
    }

    /// <summary>The response with its body replaced by one that breaks (IOException) after <paramref name="bytes"/> bytes.</summary>
    public static async Task<HttpResponseMessage> CutAfter(Task<HttpResponseMessage> sending, long bytes)
    {
        var response = await sending;
        var body = await response.Content.ReadAsStreamAsync();
        var cut = new StreamContent(new BreakingStream(body, bytes));
        foreach (var header in response.Content.Headers) cut.Headers.TryAddWithoutValidation(header.Key, header.Value);
        response.Content = cut;
        return response;
    }

    private sealed class BreakingStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_read >= limit) throw new IOException("connection reset by the test");
            int n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, limit - _read)], cancellationToken);
            _read += n;
            return n;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
