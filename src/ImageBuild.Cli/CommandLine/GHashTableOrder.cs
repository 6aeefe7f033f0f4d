using System.Text;
using ImageBuild.Engine.Block;

namespace ImageBuild.Cli.CommandLine;

/// <summary>
/// The order glib's GHashTable (string keys, g_str_hash) iterates, as qemu's QObject input visitor keeps the members
/// it has not visited: qemu names the first of them in "Parameter 'X' is unexpected". Keys are inserted in QDict order;
/// the table starts with 8 slots (index (hash * 11) mod 7, quadratic probing) and grows when full, which is modelled
/// as reinsertion in slot order.
/// </summary>
public static class GHashTableOrder
{
    /// <summary>glib's prime_mod for table shifts 0..</summary>
    private static readonly uint[] PrimeMod = [1, 2, 3, 7, 13, 31, 61, 127, 251, 509, 1021, 2039, 4093, 8191];

    /// <summary><paramref name="keys"/> (distinct, in the order the definition gave them) in GHashTable iteration order.</summary>
    public static List<string> Order(IEnumerable<string> keys)
    {
        int shift = 3;
        var table = new string?[1 << shift];
        int count = 0;
        foreach (string key in QDictOrder.Order(keys))
        {
            Insert(table, PrimeMod[shift], key);
            count++;
            if (count >= table.Length)
            {
                int newShift = Math.Max(3, BitLength((int)(count * 1.333)));
                var grown = new string?[1 << newShift];
                foreach (string? k in table)
                    if (k is not null) Insert(grown, PrimeMod[Math.Min(newShift, PrimeMod.Length - 1)], k);
                table = grown;
                shift = Math.Min(newShift, PrimeMod.Length - 1);
            }
        }
        return table.Where(k => k is not null).ToList()!;
    }

    private static void Insert(string?[] table, uint mod, string key)
    {
        uint hash = StrHash(key);
        if (hash <= 1) hash = 2;
        int index = (int)(unchecked(hash * 11u) % mod);
        int step = 0;
        while (table[index] is not null)
        {
            step++;
            index = (index + step) & (table.Length - 1);
        }
        table[index] = key;
    }

    /// <summary>g_str_hash (djb2 over the UTF-8 bytes).</summary>
    private static uint StrHash(string key)
    {
        uint h = 5381;
        foreach (byte b in Encoding.UTF8.GetBytes(key))
            h = unchecked(h * 33 + b);
        return h;
    }

    private static int BitLength(int n)
    {
        int i = 0;
        for (; n > 0; i++) n >>= 1;
        return i;
    }
}
