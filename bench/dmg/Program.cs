using ImageBuild.Tests.Shared;

// Usage: DmgBench RAW DMG [zlib|bzip2|raw] — writes RAW as a DMG of 1 MiB chunks (hdiutil's UDZO chunk size), all-zero
// chunks as zero chunks, the others in the given encoding.
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: DmgBench RAW DMG [zlib|bzip2|raw]");
    return 2;
}
uint type = (args.Length > 2 ? args[2] : "zlib") switch
{
    "zlib" => DmgBuilder.Zlib,
    "bzip2" => DmgBuilder.Bzip2,
    "raw" => DmgBuilder.Raw,
    var other => throw new ArgumentException($"unknown encoding '{other}'"),
};
const int Chunk = 1 << 20;
using var input = File.OpenRead(args[0]);
if (input.Length % 512 != 0) throw new ArgumentException("the raw disk must be whole sectors");
using var b = new DmgBuilder(args[1]);
var buf = new byte[Chunk];
int n;
while ((n = input.ReadAtLeast(buf, Chunk, throwOnEndOfStream: false)) > 0)
{
    var data = buf.AsSpan(0, n);
    b.Add(data.ContainsAnyExcept((byte)0) ? type : DmgBuilder.Zero, data);
}
b.Finish();
return 0;
