using System.Globalization;
using System.Text;

namespace ImageBuild.Oci.Layers;

/// <summary>
/// The records of a PAX extended header ("LENGTH key=value\n", LENGTH counting the whole record in decimal),
/// written in ordinal key order so equal inputs give equal bytes, and parsed with bounds.
/// </summary>
internal static class PaxRecords
{
    /// <summary>The largest extended header the reader accepts.</summary>
    public const int MaxHeaderSize = 1 << 20;

    public static byte[] Encode(IReadOnlyDictionary<string, string> records)
    {
        var output = new MemoryStream();
        foreach (string key in records.Keys.Order(StringComparer.Ordinal))
        {
            byte[] body = Encoding.UTF8.GetBytes($" {key}={records[key]}\n");
            int length = body.Length + 1;
            while (length != body.Length + Digits(length)) length = body.Length + Digits(length);
            output.Write(Encoding.ASCII.GetBytes(length.ToString(CultureInfo.InvariantCulture)));
            output.Write(body);
        }
        return output.ToArray();
    }

    /// <summary>Parses the records; a repeated key keeps its last value, as POSIX says.</summary>
    public static Dictionary<string, string> Parse(ReadOnlySpan<byte> data, string source)
    {
        var records = new Dictionary<string, string>(StringComparer.Ordinal);
        var utf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
        while (!data.IsEmpty)
        {
            int space = data.IndexOf((byte)' ');
            if (space is <= 0 or > 8) throw Bad(source);
            int length = 0;
            foreach (byte b in data[..space])
            {
                if (b is < (byte)'0' or > (byte)'9') throw Bad(source);
                length = length * 10 + (b - '0');
            }
            if (length <= space + 1 || length > data.Length || data[length - 1] != '\n') throw Bad(source);
            ReadOnlySpan<byte> record = data[(space + 1)..(length - 1)];
            int equals = record.IndexOf((byte)'=');
            if (equals <= 0) throw Bad(source);
            string key, value;
            try
            {
                key = utf8.GetString(record[..equals]);
                value = utf8.GetString(record[(equals + 1)..]);
            }
            catch (DecoderFallbackException)
            {
                throw new InvalidDataException($"{source}: a PAX record is not UTF-8");
            }
            records[key] = value;
            data = data[length..];
        }
        return records;
    }

    private static int Digits(int value) => value.ToString(CultureInfo.InvariantCulture).Length;

    private static InvalidDataException Bad(string source) => new($"{source}: a PAX extended header record is malformed");
}
