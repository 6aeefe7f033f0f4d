using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace ImageBuild.Tests.Shared;

/// <summary>
/// A CNCF distribution registry (Debian's docker-registry) serving on 127.0.0.1 and a free port, with a generated
/// config.yml and filesystem storage in a fresh temporary directory (deletes enabled), optionally behind TLS with a
/// CA made for the test and htpasswd basic auth. Start returns once /v2/ answers; Dispose (called from
/// ClassCleanup) kills the process and deletes the directory.
/// </summary>
public sealed class TestRegistry : IDisposable
{
    public const string Tool = "docker-registry";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);

    private readonly string _configFile;
    private readonly StringBuilder _log = new();
    private readonly Lock _logLock = new();
    private Process? _process;

    private TestRegistry(string directory, string configFile, int port, string? caFile)
    {
        Directory = directory;
        _configFile = configFile;
        Port = port;
        CaFile = caFile;
    }

    /// <summary>The registry binary, or null when docker-registry is not installed.</summary>
    public static string? Binary => File.Exists("/usr/bin/docker-registry") ? "/usr/bin/docker-registry" : ExternalTools.TryFind(Tool);

    /// <summary>The temporary directory holding the config, certificates, htpasswd and storage.</summary>
    public string Directory { get; }

    public int Port { get; }

    /// <summary>"127.0.0.1:PORT".</summary>
    public string Host => "127.0.0.1:" + Port;

    /// <summary>The test CA's PEM file when started with Tls, else null.</summary>
    public string? CaFile { get; }

    /// <summary>The filesystem storage root: docker/registry/v2/blobs/sha256/ab/abcd.../data holds each blob.</summary>
    public string StorageDir => Path.Combine(Directory, "storage");

    /// <summary>True while the registry process runs.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>"oci://127.0.0.1:PORT/REPO".</summary>
    public string Reference(string repository) => "oci://" + Host + "/" + repository;

    /// <summary>The file holding the blob's bytes in the storage (to corrupt it).</summary>
    public string BlobPath(string digest)
    {
        string hex = digest.StartsWith("sha256:", StringComparison.Ordinal) ? digest[7..] : digest;
        return Path.Combine(StorageDir, "docker", "registry", "v2", "blobs", "sha256", hex[..2], hex, "data");
    }

    /// <summary>The registry's own output so far (for failure messages).</summary>
    public string Log
    {
        get
        {
            lock (_logLock)
                return _log.ToString();
        }
    }

    public static TestRegistry Start(TestRegistryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string binary = Binary ?? throw new AssertFailedException($"{Tool} is not installed (.ci/run installs it: apt-get install -y docker-registry)");
        string directory = Path.Combine(Path.GetTempPath(), "imagebuild-registry-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(directory);
        try
        {
            string? caFile = null, certificate = null, key = null;
            if (options.Tls) (caFile, certificate, key) = TestCertificates.Write(directory);
            string? htpasswd = options.Users is { Count: > 0 } users ? WriteHtpasswd(directory, users) : null;
            for (int attempt = 1; ; attempt++)
            {
                int port = FreePort();
                string config = Path.Combine(directory, "config.yml");
                File.WriteAllText(config, Config(directory, port, certificate, key, htpasswd));
                var registry = new TestRegistry(directory, config, port, caFile);
                try
                {
                    registry.Launch(binary);
                    return registry;
                }
                catch (AssertFailedException) when (attempt < 3 && !registry.IsRunning)
                {
                    // The free port was taken between the probe and the registry's bind: try another.
                    registry.Stop();
                }
            }
        }
        catch
        {
            TryDelete(directory);
            throw;
        }
    }

    /// <summary>Kills the registry (for faults mid-transfer); its storage stays.</summary>
    public void Stop()
    {
        var process = _process;
        _process = null;
        if (process is null) return;
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            process.Dispose();
        }
    }

    /// <summary>Starts the registry again on the same port with the same storage.</summary>
    public void Restart()
    {
        Stop();
        Launch(Binary ?? throw new AssertFailedException($"{Tool} is not installed"));
    }

    public void Dispose()
    {
        Stop();
        TryDelete(Directory);
    }

    private void Launch(string binary)
    {
        var start = new ProcessStartInfo(binary, ["serve", _configFile])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Directory,
        };
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        WaitUntilServing();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_logLock)
        {
            if (_log.Length < 64 << 10) _log.AppendLine(line);
        }
    }

    private void WaitUntilServing()
    {
        using var handler = new SocketsHttpHandler { AllowAutoRedirect = false };
        if (CaFile is not null)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(CaFile);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    if (certificate is null) return false;
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    using var leaf = new X509Certificate2(certificate);
                    return chain.Build(leaf);
                },
            };
        }
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(2) };
        var uri = new Uri((CaFile is null ? "http://" : "https://") + Host + "/v2/");
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < StartTimeout)
        {
            if (_process is null || _process.HasExited)
                throw new AssertFailedException($"{Tool} exited while starting: {Log.Trim().Replace('\n', ' ')}");
            try
            {
                using var response = http.GetAsync(uri).GetAwaiter().GetResult();
                if (response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Unauthorized) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Not answering yet.
            }
            Thread.Sleep(50);
        }
        Stop();
        throw new AssertFailedException($"{Tool} did not answer {uri} within {StartTimeout.TotalSeconds} s: {Log.Trim().Replace('\n', ' ')}");
    }

    private static string Config(string directory, int port, string? certificate, string? key, string? htpasswd)
    {
        var yaml = new StringBuilder();
        yaml.AppendLine("version: 0.1");
        yaml.AppendLine("log:");
        yaml.AppendLine("  level: warn");
        yaml.AppendLine("  accesslog:");
        yaml.AppendLine("    disabled: true");
        yaml.AppendLine("storage:");
        yaml.AppendLine("  filesystem:");
        yaml.AppendLine($"    rootdirectory: {Quote(Path.Combine(directory, "storage"))}");
        yaml.AppendLine("  delete:");
        yaml.AppendLine("    enabled: true");
        yaml.AppendLine("  maintenance:");
        yaml.AppendLine("    uploadpurging:");
        yaml.AppendLine("      enabled: false");
        yaml.AppendLine("http:");
        yaml.AppendLine($"  addr: 127.0.0.1:{port}");
        // A fixed secret: upload sessions survive Restart().
        yaml.AppendLine("  secret: imagebuild-test-registry-secret");
        if (certificate is not null)
        {
            yaml.AppendLine("  tls:");
            yaml.AppendLine($"    certificate: {Quote(certificate)}");
            yaml.AppendLine($"    key: {Quote(key!)}");
        }
        if (htpasswd is not null)
        {
            yaml.AppendLine("auth:");
            yaml.AppendLine("  htpasswd:");
            yaml.AppendLine("    realm: imagebuild-test");
            yaml.AppendLine($"    path: {Quote(htpasswd)}");
        }
        return yaml.ToString();
    }

    private static string Quote(string path) => "\"" + path.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    private static string WriteHtpasswd(string directory, IReadOnlyDictionary<string, string> users)
    {
        string tool = ExternalTools.TryFind("htpasswd")
            ?? throw new AssertFailedException("htpasswd is not installed (.ci/run installs it: apt-get install -y apache2-utils)");
        var lines = new StringBuilder();
        foreach (var (user, password) in users)
        {
            // -C 4: the lowest bcrypt cost keeps each request's password check fast.
            var r = QemuOracle.Run(tool, ["-Bbn", "-C", "4", user, password], directory, 30_000);
            if (r.ExitCode != 0) throw new AssertFailedException($"htpasswd exited {r.ExitCode}: {r.StdErr}");
            lines.Append(r.StdOut.Trim()).Append('\n');
        }
        string file = Path.Combine(directory, "htpasswd");
        File.WriteAllText(file, lines.ToString());
        return file;
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (System.IO.Directory.Exists(directory)) System.IO.Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a file still held open.
        }
        catch (UnauthorizedAccessException)
        {
            // Best effort.
        }
    }
}
