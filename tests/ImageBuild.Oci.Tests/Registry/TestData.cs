using System.Text;

namespace ImageBuild.Oci.Tests.Registry;

/// <summary>Deterministic content for blobs and manifests.</summary>
internal static class TestData
{
    /// <summary><paramref name="length"/> bytes that differ per <paramref name="seed"/> (no two blocks alike).</summary>
    public static byte[] Bytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>An OCI image manifest with an empty config and the given layers.</summary>
    public static byte[] Manifest(params (string Digest, long Size)[] layers)
    {
        var text = new StringBuilder();
        text.Append("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",");
        text.Append("\"artifactType\":\"application/vnd.imagebuild.test\",");
        text.Append("\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\",\"size\":2},");
        text.Append("\"layers\":[");
        for (int i = 0; i < layers.Length; i++)
        {
            if (i > 0) text.Append(',');
            text.Append("{\"mediaType\":\"application/octet-stream\",\"digest\":\"").Append(layers[i].Digest).Append("\",\"size\":").Append(layers[i].Size).Append('}');
        }
        text.Append("]}");
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public static readonly byte[] EmptyConfig = "{}"u8.ToArray();
}
