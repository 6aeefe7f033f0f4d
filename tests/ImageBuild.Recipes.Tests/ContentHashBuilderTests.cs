using ImageBuild.Oci.Layers;
using ImageBuild.Recipes.Cache;
using ImageBuild.Tests.Shared;

namespace ImageBuild.Recipes.Tests;

/// <summary>
/// The incremental content hash: whatever the chunking and whichever zero ranges are left out as gaps, it is the
/// hash <see cref="ContentHasher.HashFile(string)"/> gives, and its runs are the file's non-zero 4 KiB block runs.
/// </summary>
[TestClass]
public sealed class ContentHashBuilderTests
{
    private const int Block = ContentHashBuilder.BlockSize;

    [TestMethod]
    public void AnyChunkingAndAnyLeftOutZerosGiveHashFilesHash()
    {
        using var tmp = new TempDir();
        var random = new Random(1919);
        for (int trial = 0; trial < 150; trial++)
        {
            byte[] content = RandomContent(random, trial);
            string path = tmp[$"f{trial}"];
            WriteWithHoles(path, content, random);
            string fromFile = ContentHasher.HashFile(path, 1 << 20, out _, out var fileRuns);
            string reference = ReferenceHash(content);
            Assert.AreEqual(reference, fromFile, $"trial {trial}: HashFile keeps the definition");
            var expectedRuns = NaiveRuns(content);
            CollectionAssert.AreEqual(expectedRuns, fileRuns!.ToList(), $"trial {trial}: runs found by HashFile");

            for (int split = 0; split < 4; split++)
            {
                var builder = new ContentHashBuilder(1 << 20);
                foreach (var (offset, length) in RandomPieces(random, content))
                    builder.Append(offset, content.AsSpan((int)offset, length));
                Assert.AreEqual(fromFile, builder.Finish(content.Length), $"trial {trial}, split {split}, length {content.Length}");
                CollectionAssert.AreEqual(expectedRuns, builder.Extents!.ToList(), $"trial {trial}, split {split}: runs");
                Assert.AreEqual(expectedRuns.Sum(r => r.Length), builder.Extents!.DataBytes);
            }
        }
    }

    [TestMethod]
    public void ALargeSparseFileHashesTheSameFedInOddPieces()
    {
        using var tmp = new TempDir();
        long size = (40L << 20) + 123;
        using (var fs = new FileStream(tmp["big"], FileMode.Create))
        {
            fs.SetLength(size);
            foreach (long at in new[] { 0L, 5L << 20, (17L << 20) + 1000, size - 50 })
            {
                fs.Position = at;
                fs.Write(Bytes(new Random((int)(at % 1000)), (int)Math.Min(3 << 20, size - at)));
            }
        }
        string expected = ContentHasher.HashFile(tmp["big"], out long read);
        var builder = new ContentHashBuilder();
        byte[] buf = new byte[1_000_003];
        using (var fs = File.OpenRead(tmp["big"]))
        {
            long pos = 0;
            int n;
            while ((n = fs.Read(buf)) > 0)
            {
                builder.Append(pos, buf.AsSpan(0, n));
                pos += n;
            }
        }
        Assert.AreEqual(expected, builder.Finish(size));
        Assert.IsNull(builder.Extents, "not asked for");
        Assert.IsLessThan(size, read, "HashFile skips the holes");
    }

    [TestMethod]
    public void RunsBeyondTheBoundAreDroppedNotTruncated()
    {
        byte[] content = new byte[10 * Block];
        foreach (int b in new[] { 0, 1, 4, 8 }) content[b * Block + 7] = 9; // runs: [0,2) [4,5) [8,9)
        var three = new ContentHashBuilder(3);
        three.Append(0, content);
        string h = three.Finish(content.Length);
        Assert.AreEqual(3, three.Extents!.Count);
        var two = new ContentHashBuilder(2);
        two.Append(0, content);
        Assert.AreEqual(h, two.Finish(content.Length), "the hash does not depend on the bound");
        Assert.IsNull(two.Extents, "more runs than the bound: none kept");
    }

    [TestMethod]
    public void DataGoingBackwardsOrPastTheLengthOrAfterTheEndIsRefused()
    {
        var builder = new ContentHashBuilder();
        builder.Append(8192, new byte[100]);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => builder.Append(8000, new byte[10]));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => builder.Finish(8000));
        Assert.AreEqual(ContentHashBuilder_HashOfZeros(8292), builder.Finish(8292));
        Assert.ThrowsExactly<InvalidOperationException>(() => builder.Finish(8292));
        Assert.ThrowsExactly<InvalidOperationException>(() => builder.Append(9000, new byte[1]));
    }

    /// <summary>A file of zeros hashes as its length alone, written or not.</summary>
    private static string ContentHashBuilder_HashOfZeros(long length)
    {
        using var tmp = new TempDir();
        using (var fs = new FileStream(tmp["z"], FileMode.Create)) fs.SetLength(length);
        return ContentHasher.HashFile(tmp["z"]);
    }

    /// <summary>Up to 64 KiB + a bit: blocks of random data, all zeros, zeros but one byte (at either edge), or a short tail.</summary>
    private static byte[] RandomContent(Random random, int trial)
    {
        int blocks = random.Next(0, 17);
        int length = blocks * Block + (trial % 3 == 0 ? 0 : random.Next(0, Block));
        byte[] content = new byte[length];
        for (int b = 0; b * Block < length; b++)
        {
            var block = content.AsSpan(b * Block, Math.Min(Block, length - b * Block));
            switch (random.Next(5))
            {
                case 0: random.NextBytes(block); break;
                case 1: block[0] = 1; break;
                case 2: block[^1] = 2; break;
                default: break; // zeros
            }
        }
        return content;
    }

    /// <summary>Writes the content leaving some all-zero block ranges as holes.</summary>
    private static void WriteWithHoles(string path, byte[] content, Random random)
    {
        using var fs = new FileStream(path, FileMode.Create);
        fs.SetLength(content.Length);
        for (int b = 0; b * Block < content.Length; b++)
        {
            var block = content.AsSpan(b * Block, Math.Min(Block, content.Length - b * Block));
            if (block.ContainsAnyExcept((byte)0) || random.Next(2) == 0)
            {
                fs.Position = b * Block;
                fs.Write(block);
            }
        }
    }

    /// <summary>Pieces covering the content, cut at random places; all-zero pieces are sometimes left out (gaps).</summary>
    private static List<(long Offset, int Length)> RandomPieces(Random random, byte[] content)
    {
        var pieces = new List<(long, int)>();
        for (int pos = 0; pos < content.Length;)
        {
            int n = random.Next(4) switch
            {
                0 => random.Next(1, 9),
                1 => random.Next(1, 2 * Block),
                2 => Block,
                _ => random.Next(1, 5 * Block),
            };
            n = Math.Min(n, content.Length - pos);
            if (content.AsSpan(pos, n).ContainsAnyExcept((byte)0) || random.Next(3) > 0)
            {
                // an empty piece now and then
                if (random.Next(10) == 0) pieces.Add((pos, 0));
                pieces.Add((pos, n));
            }
            pos += n;
        }
        return pieces;
    }

    /// <summary>The definition, over the whole content at once: each non-zero block's index and bytes, then the length.</summary>
    private static string ReferenceHash(byte[] content)
    {
        var hash = new System.IO.Hashing.XxHash128();
        for (int b = 0; b * Block < content.Length; b++)
        {
            var block = content.AsSpan(b * Block, Math.Min(Block, content.Length - b * Block));
            if (!block.ContainsAnyExcept((byte)0)) continue;
            hash.Append(BitConverter.GetBytes((long)b));
            hash.Append(block);
        }
        hash.Append(BitConverter.GetBytes((long)content.Length));
        return "xxh128:" + Convert.ToHexStringLower(hash.GetCurrentHash());
    }

    private static List<DataExtent> NaiveRuns(byte[] content)
    {
        var runs = new List<DataExtent>();
        for (int b = 0; b * Block < content.Length; b++)
        {
            int start = b * Block, len = Math.Min(Block, content.Length - start);
            if (!content.AsSpan(start, len).ContainsAnyExcept((byte)0)) continue;
            if (runs.Count > 0 && runs[^1].End == start) runs[^1] = runs[^1] with { Length = runs[^1].Length + len };
            else runs.Add(new DataExtent(start, len));
        }
        return runs;
    }

    private static byte[] Bytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
