using System.Text;

namespace ImageBuild.Engine.Block;

/// <summary>
/// The order qemu's QDict iterates its keys: 512 buckets by tdb_hash of the key's UTF-8 bytes, ascending, the most
/// recently inserted key first inside a bucket. qemu names "the first" leftover option and writes json: filenames in
/// this order.
/// </summary>
public static class QDictOrder
{
    private const int Buckets = 512;

    private static int Bucket(string key)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(key);
        unchecked
        {
            uint value = 0x238F13AFu * (uint)bytes.Length;
            for (int i = 0; i < bytes.Length; i++)
                value += (uint)bytes[i] << (i * 5 % 24);
            return (int)((1103515243u * value + 12345u) % Buckets);
        }
    }

    /// <summary><paramref name="keys"/> (distinct, in insertion order) in QDict iteration order.</summary>
    public static List<string> Order(IEnumerable<string> keys)
    {
        var items = keys.Select((k, i) => (Key: k, Index: i, Bucket: Bucket(k))).ToList();
        items.Sort((a, b) => a.Bucket != b.Bucket ? a.Bucket.CompareTo(b.Bucket) : b.Index.CompareTo(a.Index));
        return items.ConvertAll(x => x.Key);
    }
}
