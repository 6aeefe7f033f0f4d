namespace ImageBuild.Oci.Layers;

/// <summary>
/// Told of each piece of file data an extraction writes: <paramref name="data"/> now lies at
/// <paramref name="offset"/> in the file (see <see cref="SparseFileLayer.Extract(Stream, string, long, string, ExtractedDataObserver?, CancellationToken)"/>).
/// The span is valid only during the call.
/// </summary>
public delegate void ExtractedDataObserver(long offset, ReadOnlySpan<byte> data);
