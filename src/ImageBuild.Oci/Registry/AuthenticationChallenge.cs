using System.Text;

namespace ImageBuild.Oci.Registry;

/// <summary>
/// One <c>WWW-Authenticate</c> challenge (RFC 7235 auth-params): its scheme (Basic, Bearer) and parameters
/// (realm, service, scope), quoted strings unescaped.
/// </summary>
internal sealed class AuthenticationChallenge
{
    private AuthenticationChallenge(string scheme, IReadOnlyDictionary<string, string> parameters)
    {
        Scheme = scheme;
        Parameters = parameters;
    }

    public string Scheme { get; }

    public IReadOnlyDictionary<string, string> Parameters { get; }

    public string? this[string name] => Parameters.TryGetValue(name, out var v) ? v : null;

    /// <summary>Parses "Scheme k=v, k="v"": null when the text has no scheme.</summary>
    public static AuthenticationChallenge? Parse(string scheme, string? parameter)
    {
        if (string.IsNullOrWhiteSpace(scheme)) return null;
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string text = parameter ?? "";
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ',' || char.IsWhiteSpace(text[i]))) i++;
            int nameStart = i;
            while (i < text.Length && text[i] != '=' && text[i] != ',' && !char.IsWhiteSpace(text[i])) i++;
            string name = text[nameStart..i];
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            if (i >= text.Length || text[i] != '=') { if (name.Length == 0) break; continue; }
            i++;
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            var value = new StringBuilder();
            if (i < text.Length && text[i] == '"')
            {
                i++;
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < text.Length) i++;
                    value.Append(text[i++]);
                }
                i++;
            }
            else
            {
                while (i < text.Length && text[i] != ',') value.Append(text[i++]);
            }
            if (name.Length > 0) values[name] = value.ToString().Trim();
        }
        return new AuthenticationChallenge(scheme.Trim(), values);
    }
}
