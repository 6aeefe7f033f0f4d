using System.Text;
using ImageBuild.Oci.Layers;

namespace ImageBuild.Oci.Tests.Layers;

/// <summary>Builds tar streams by hand (any entry type, any PAX records, any sparse map) to feed the layer reader.</summary>
internal sealed class HostileLayer
{
    private readonly MemoryStream _tar = new();

    public HostileLayer Pax(params (string Key, string Value)[] records)
    {
        byte[] data = PaxRecords.Encode(records.ToDictionary(r => r.Key, r => r.Value, StringComparer.Ordinal));
        return Entry("./PaxHeaders/x", TarHeader.PaxLocalType, data);
    }

    public HostileLayer Entry(string name, byte type, byte[] data, long? declaredSize = null)
    {
        byte[] block = new byte[512];
        new TarHeader { NameBytes = Encoding.UTF8.GetBytes(name), TypeFlag = type, Size = declaredSize ?? data.Length }.WriteTo(block);
        _tar.Write(block);
        _tar.Write(data);
        _tar.Write(new byte[(512 - data.Length % 512) % 512]);
        return this;
    }

    public HostileLayer File(string name, byte[] data) => Entry(name, TarHeader.RegularType, data);

    /// <summary>A GNU sparse 1.0 entry with the given map (as text) and data bytes.</summary>
    public HostileLayer Sparse(string name, long realSize, string mapText, byte[] data, string major = "1", string minor = "0")
    {
        Pax(("GNU.sparse.major", major), ("GNU.sparse.minor", minor), ("GNU.sparse.name", name),
            ("GNU.sparse.realsize", realSize.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        byte[] map = Encoding.ASCII.GetBytes(mapText);
        byte[] padded = new byte[(map.Length + 511) / 512 * 512 + data.Length];
        map.CopyTo(padded, 0);
        data.CopyTo(padded, (map.Length + 511) / 512 * 512);
        return Entry("./GNUSparseFile.0/" + name, TarHeader.RegularType, padded);
    }

    public HostileLayer Raw(byte[] bytes)
    {
        _tar.Write(bytes);
        return this;
    }

    public HostileLayer End() => Raw(new byte[1024]);

    public byte[] Tar() => _tar.ToArray();

    public byte[] Compressed() => Compress(Tar());

    public static byte[] Compress(byte[] tar)
    {
        using var compressor = new ZstdSharp.Compressor(3);
        return compressor.Wrap(tar).ToArray();
    }
}
