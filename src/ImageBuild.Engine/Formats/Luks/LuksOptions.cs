using System.Globalization;
using ImageBuild.Engine.Crypto;
using ImageBuild.Engine.Options;

namespace ImageBuild.Engine.Formats.Luks;

/// <summary>
/// The luks driver's option tables (qemu's block/crypto.c: create, amend and the runtime key-secret) and their
/// parsing into the crypto layer's settings, with numbers read as qemu_strtou64 reads them (a leading '-' wraps).
/// </summary>
public static class LuksOptions
{
    public const string KeySecret = "key-secret";

    /// <summary>qemu's message when data is needed and no key-secret was given.</summary>
    public const string KeySecretRequired = "Parameter 'key-secret' is required for cipher";

    /// <summary>block_crypto_create_opts_luks, in table order (the Formatting line's order).</summary>
    public static readonly IReadOnlyList<CreateOption> Create =
    [
        new("size", OptionType.Size, "Virtual disk size"),
        new(KeySecret, OptionType.String, "ID of the secret that provides the keyslot passphrase"),
        new("cipher-alg", OptionType.String, "Name of encryption cipher algorithm"),
        new("cipher-mode", OptionType.String, "Name of encryption cipher mode"),
        new("ivgen-alg", OptionType.String, "Name of IV generator algorithm"),
        new("ivgen-hash-alg", OptionType.String, "Name of IV generator hash algorithm"),
        new("hash-alg", OptionType.String, "Name of encryption hash algorithm"),
        new("iter-time", OptionType.Number, "Time to spend in PBKDF in milliseconds"),
    ];

    /// <summary>block_crypto_amend_opts_luks.</summary>
    public static readonly IReadOnlyList<CreateOption> Amend =
    [
        new("state", OptionType.String, "Select new state of affected keyslots (active/inactive)"),
        new("keyslot", OptionType.Number, "Select a single keyslot to modify explicitly"),
        new("old-secret", OptionType.String, "Select all keyslots that match this password"),
        new("new-secret", OptionType.String, "New secret to set in the matching keyslots. Empty string to erase"),
        new("iter-time", OptionType.Number, "Time to spend in PBKDF in milliseconds"),
    ];

    /// <summary>The LUKS settings of create (or measure) options.</summary>
    public static LuksCreateSettings Settings(OptionValues o) => new()
    {
        CipherAlg = o.GetString("cipher-alg"),
        CipherMode = o.GetString("cipher-mode"),
        IvgenAlg = o.GetString("ivgen-alg"),
        IvgenHashAlg = o.GetString("ivgen-hash-alg"),
        HashAlg = o.GetString("hash-alg"),
        IterTime = o.GetString("iter-time") is { } t ? ParseU64(t, "iter-time") : null,
    };

    /// <summary>The key-slot amend options; a missing state is qemu's "Parameter 'state' is missing".</summary>
    public static LuksAmendOptions AmendOptions(OptionValues o) => new()
    {
        State = o.GetString("state") ?? throw new ImageException("Parameter 'state' is missing"),
        Keyslot = o.GetString("keyslot") is { } k ? (long)ParseU64(k, "keyslot") : null,
        OldSecret = o.GetString("old-secret"),
        NewSecret = o.GetString("new-secret"),
        IterTime = o.GetString("iter-time") is { } t ? ParseU64(t, "iter-time") : null,
    };

    /// <summary>qemu_strtou64: optional sign, decimal, 0x hex or 0 octal; a negative value wraps.</summary>
    public static ulong ParseU64(string text, string name)
    {
        string t = text.Trim();
        bool negative = t.StartsWith('-');
        if (negative || t.StartsWith('+')) t = t[1..];
        ulong value;
        bool ok = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(t.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
            : t.Length > 1 && t[0] == '0' ? TryOctal(t, out value)
            : ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        if (!ok) throw new ImageException($"Parameter '{name}' expects a number");
        return negative ? unchecked(0UL - value) : value;
    }

    private static bool TryOctal(string t, out ulong value)
    {
        value = 0;
        foreach (char c in t)
        {
            if (c is < '0' or > '7' || value > ulong.MaxValue / 8) return false;
            value = value * 8 + (ulong)(c - '0');
        }
        return true;
    }
}
