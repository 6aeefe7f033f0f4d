using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ImageBuild.Filesystems.Trees;

/// <summary>
/// A digest of everything a filesystem built from a tree depends on: for each entry in the tree's order, its path,
/// kind, mode, uid, gid, size, symlink target and the SHA-256 of its content — each field length-prefixed so no two
/// trees share an encoding. Host paths, timestamps and anything else a scan does not record never enter it, so the
/// same content in another directory, or touched, hashes the same.
/// </summary>
public static class TreeHash
{
    /// <summary>"sha256:" and 64 lowercase hex digits. Reads every file's content (streamed); IOException if one is unreadable.</summary>
    public static string Of(FileTree tree, CancellationToken cancellation = default) => Of(tree, null, cancellation);

    /// <summary>
    /// As <see cref="Of(FileTree, CancellationToken)"/>, with each file's content named by <paramref name="contentDigest"/>
    /// instead of read: a caller that remembers the digests of unchanged files (by size and mtime) hashes a large tree
    /// without reading it. The digest must name the content alone (e.g. its SHA-256); it is hashed in place of it.
    /// </summary>
    public static string Of(FileTree tree, Func<TreeEntry, string>? contentDigest, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(tree);
        using var outer = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var content = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            Span<byte> fixedPart = stackalloc byte[1 + 4 * 3 + 8];
            Span<byte> digest = stackalloc byte[32];
            foreach (var e in tree.Entries)
            {
                cancellation.ThrowIfCancellationRequested();
                AppendString(outer, e.Path);
                fixedPart[0] = (byte)e.Kind;
                BinaryPrimitives.WriteInt32LittleEndian(fixedPart[1..], e.Mode);
                BinaryPrimitives.WriteInt32LittleEndian(fixedPart[5..], e.Uid);
                BinaryPrimitives.WriteInt32LittleEndian(fixedPart[9..], e.Gid);
                BinaryPrimitives.WriteInt64LittleEndian(fixedPart[13..], e.Size);
                outer.AppendData(fixedPart);
                AppendString(outer, e.LinkTarget ?? "");
                digest.Clear();
                if (e.Kind == TreeEntryKind.File && contentDigest is not null)
                {
                    AppendString(outer, contentDigest(e));
                    continue;
                }
                if (e.Kind == TreeEntryKind.File)
                {
                    using var s = FileTree.Open(e);
                    int n;
                    while ((n = s.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        cancellation.ThrowIfCancellationRequested();
                        content.AppendData(buffer, 0, n);
                    }
                    content.GetHashAndReset(digest);
                }
                outer.AppendData(digest);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return "sha256:" + Convert.ToHexStringLower(outer.GetHashAndReset());
    }

    private static void AppendString(IncrementalHash hash, string s)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(s);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}
