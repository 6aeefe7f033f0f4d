using System.Security.Cryptography;

namespace ImageBuild.Oci.Layers;

/// <summary>
/// A write-only stream that passes bytes on to another stream while counting them and computing their sha256
/// (the layer's diff id is the digest of the uncompressed tar).
/// </summary>
internal sealed class DigestingWriteStream : Stream
{
    private readonly Stream _inner;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public DigestingWriteStream(Stream inner) => _inner = inner;

    /// <summary>Bytes written so far.</summary>
    public long Written { get; private set; }

    /// <summary>"sha256:" and the lower-case hex digest of everything written; call once, at the end.</summary>
    public string FinishDigest() => "sha256:" + Convert.ToHexStringLower(_hash.GetHashAndReset());

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _hash.AppendData(buffer);
        _inner.Write(buffer);
        Written += buffer.Length;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Flush() => _inner.Flush();

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Written; set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) _hash.Dispose();
        base.Dispose(disposing);
    }
}
