using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ImageBuild.Oci.Registry;

/// <summary>
/// Builds the <see cref="SocketsHttpHandler"/> a <see cref="RegistryClient"/> uses when RegistryOptions.Handler is
/// null: no automatic redirects (the client follows them itself, dropping credentials for other hosts), no cookies,
/// and server certificates checked against the system store plus RegistryOptions.CaFile's roots.
/// </summary>
public static class RegistryHttpHandler
{
    public static SocketsHttpHandler Create(RegistryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = true,
            ConnectTimeout = options.Timeout < TimeSpan.FromSeconds(30) ? options.Timeout : TimeSpan.FromSeconds(30),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        if (options.CaFile is not null)
        {
            var roots = LoadRoots(options.CaFile);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) => Validate(roots, certificate, chain, errors),
            };
        }
        return handler;
    }

    private static X509Certificate2Collection LoadRoots(string caFile)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(caFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new RegistryException(RegistryFailure.Refused, $"CA file '{caFile}' cannot be read as PEM certificates");
        }
        if (roots.Count == 0)
            throw new RegistryException(RegistryFailure.Refused, $"CA file '{caFile}' holds no PEM certificate");
        return roots;
    }

    /// <summary>
    /// Accepts what the system accepts; otherwise only a certificate whose name matches and whose chain ends at one of
    /// the extra roots (never anything else).
    /// </summary>
    private static bool Validate(X509Certificate2Collection roots, X509Certificate? certificate, X509Chain? systemChain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None) return true;
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
            return false;
        using var leaf = new X509Certificate2(certificate);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (systemChain is not null)
            foreach (var element in systemChain.ChainElements)
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        return chain.Build(leaf);
    }
}
