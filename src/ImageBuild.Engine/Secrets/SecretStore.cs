using System.Text;

namespace ImageBuild.Engine.Secrets;

/// <summary>
/// The secrets of one engine context by id (qemu's "secret" objects): LUKS passphrases and qcow AES keys that
/// drivers look up by the id an option names (<c>key-secret</c>, <c>encrypt.key-secret</c>). Values never appear in
/// a message, a log line or an exception: errors name the id only.
/// </summary>
public sealed class SecretStore
{
    private readonly Dictionary<string, byte[]> _values;

    public SecretStore() => _values = new(StringComparer.Ordinal);

    private SecretStore(Dictionary<string, byte[]> values) => _values = values;

    /// <summary>A store with no secrets (what a context has unless one is given).</summary>
    public static SecretStore Empty { get; } = new(new Dictionary<string, byte[]>(0, StringComparer.Ordinal));

    /// <summary>The ids held, in no particular order.</summary>
    public IEnumerable<string> Ids => _values.Keys;

    /// <summary>Adds a secret; an id already present is refused with qemu's message for a duplicate object.</summary>
    public void Add(string id, ReadOnlySpan<byte> value)
    {
        if (ReferenceEquals(this, Empty))
            throw new InvalidOperationException("the empty secret store is shared and cannot be changed");
        if (!_values.TryAdd(id, value.ToArray()))
            throw new ImageException($"attempt to add duplicate property '{id}' to object (type 'container')");
    }

    public bool Contains(string id) => _values.ContainsKey(id);

    /// <summary>The secret's bytes (a copy); an unknown id fails with qemu's "No secret with id 'ID'".</summary>
    public byte[] Get(string id) =>
        _values.TryGetValue(id, out var value) ? (byte[])value.Clone() : throw new ImageException($"No secret with id '{id}'");

    /// <summary>The secret as UTF-8 text, as qemu's qcrypto_secret_lookup_as_utf8 checks it.</summary>
    public string GetUtf8(string id)
    {
        byte[] value = Get(id);
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(value);
        }
        catch (DecoderFallbackException)
        {
            throw new ImageException($"Data from secret {id} is not valid UTF-8");
        }
    }
}
