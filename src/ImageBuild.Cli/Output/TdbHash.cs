using System.Text;

namespace ImageBuild.Cli.Output;

/// <summary>
/// The hash qemu's QDict uses to place keys in its 512 buckets (tdb_hash over the key's UTF-8 bytes).
/// QDict iteration visits buckets in ascending order, newest key first inside a bucket.
/// </summary>
public static class TdbHash
{
    public const int Buckets = 512;

    public static uint Hash(string key)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(key);
        unchecked
        {
            uint value = 0x238F13AFu * (uint)bytes.Length;
            for (int i = 0; i < bytes.Length; i++)
                value += (uint)bytes[i] << (i * 5 % 24);
            return 1103515243u * value + 12345u;
        }
    }

    public static int Bucket(string key) => (int)(Hash(key) % Buckets);

    /// <summary>
    /// Members in QDict iteration order: bucket ascending; within a bucket the most recently inserted first.
    /// A key inserted twice keeps only its latest value (qdict_put replaces in place).
    /// </summary>
    public static List<KeyValuePair<string, object>> Order(IReadOnlyList<KeyValuePair<string, object>> members)
    {
        var latest = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < members.Count; i++)
            if (!latest.ContainsKey(members[i].Key))
                latest[members[i].Key] = i;
        var items = new List<(int Bucket, int Index, KeyValuePair<string, object> Pair)>();
        foreach (var (key, first) in latest)
        {
            int last = first;
            for (int i = first; i < members.Count; i++)
                if (members[i].Key == key) last = i;
            items.Add((Bucket(key), first, new(key, members[last].Value)));
        }
        items.Sort((a, b) => a.Bucket != b.Bucket ? a.Bucket.CompareTo(b.Bucket) : b.Index.CompareTo(a.Index));
        return items.ConvertAll(x => x.Pair);
    }
}
