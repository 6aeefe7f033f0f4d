namespace ImageBuild.Oci.Layers;

/// <summary>
/// What <see cref="SparseFileLayer.Write"/> produced: the uncompressed tar's size, its sha256 (the OCI diff id,
/// "sha256:" and 64 hex digits) and the bytes of file data it stores (the file's size less its all-zero blocks).
/// </summary>
public sealed record LayerWriteResult(long TarSize, string DiffId, long DataBytes);
