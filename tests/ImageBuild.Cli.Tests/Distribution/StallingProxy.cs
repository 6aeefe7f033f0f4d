using System.Net;
using System.Net.Sockets;

namespace ImageBuild.Cli.Tests.Distribution;

/// <summary>
/// A loopback TCP relay to a registry that passes the first <c>limit</c> bytes of the registry's answers on each
/// connection and then stops relaying (the connection stays open): a download that hangs mid-blob, for
/// interrupting it. Bytes only, no HTTP of its own.
/// </summary>
internal sealed class StallingProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _clients = [];

    public StallingProxy(int targetPort, long limit)
    {
        _listener.Start();
        _ = AcceptAsync(targetPort, limit);
    }

    public string Host => "127.0.0.1:" + ((IPEndPoint)_listener.LocalEndpoint).Port;

    private async Task AcceptAsync(int targetPort, long limit)
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var server = new TcpClient();
                await server.ConnectAsync(IPAddress.Loopback, targetPort, _stop.Token);
                lock (_clients) _clients.AddRange([client, server]);
                _ = RelayAsync(client.GetStream(), server.GetStream(), long.MaxValue);
                _ = RelayAsync(server.GetStream(), client.GetStream(), limit);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task RelayAsync(Stream from, Stream to, long limit)
    {
        byte[] buffer = new byte[16 << 10];
        long passed = 0;
        try
        {
            while (passed < limit)
            {
                int n = await from.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, limit - passed)), _stop.Token);
                if (n == 0) break;
                await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
                passed += n;
            }
            await Task.Delay(Timeout.Infinite, _stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_clients)
            foreach (var c in _clients) c.Dispose();
        _stop.Dispose();
    }
}
