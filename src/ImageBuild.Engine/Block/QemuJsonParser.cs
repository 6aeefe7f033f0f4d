using System.Globalization;
using System.Text;

namespace ImageBuild.Engine.Block;

/// <summary>
/// JSON as qemu's parser reads a json: filename (qobject_from_json): objects, arrays, "double" or 'single' quoted
/// strings, integers (long) and other numbers (double), true/false/null; nesting limited to qemu's 1024 levels.
/// Errors carry qemu's wording. Objects come back as ordered key/value lists, arrays as lists.
/// </summary>
public sealed class QemuJsonParser
{
    /// <summary>qemu's MAX_NESTING.</summary>
    public const int MaxNesting = 1024;

    /// <summary>Longest text accepted (a command-line argument is far shorter; memory stays bounded).</summary>
    public const int MaxLength = 1 << 20;

    private readonly string _s;
    private int _p;

    private QemuJsonParser(string s) => _s = s;

    /// <summary>A parsed object member list (keys unique, in document order).</summary>
    public sealed class JsonObject : List<KeyValuePair<string, object?>>;

    /// <summary>Parses one JSON value; throws <see cref="ImageException"/> with qemu's message.</summary>
    public static object? Parse(string text)
    {
        if (text.Length > MaxLength)
            throw Error("JSON parse error, premature EOI");
        var parser = new QemuJsonParser(text);
        parser.SkipSpace();
        if (parser._p >= text.Length)
            throw new ImageException("Expecting a JSON value");
        object? value = parser.Value(0);
        parser.SkipSpace();
        if (parser._p < text.Length)
            throw new ImageException("Expecting at most one JSON value");
        return value;
    }

    private static ImageException Error(string message) => new(message);

    private void SkipSpace()
    {
        while (_p < _s.Length && _s[_p] is ' ' or '\t' or '\n' or '\r') _p++;
    }

    private ImageException PrematureEnd() => Error("JSON parse error, premature EOI");

    private object? Value(int depth)
    {
        SkipSpace();
        if (_p >= _s.Length) throw PrematureEnd();
        char c = _s[_p];
        switch (c)
        {
            case '{':
                return Object(depth + 1);
            case '[':
                return Array(depth + 1);
            case '"' or '\'':
                return String();
            case '-' or (>= '0' and <= '9'):
                return Number();
            default:
                if (char.IsAsciiLetter(c))
                    return Keyword();
                throw Error("JSON parse error, expecting value");
        }
    }

    private JsonObject Object(int depth)
    {
        if (depth > MaxNesting) throw Error("JSON nesting depth limit exceeded");
        _p++; // {
        var result = new JsonObject();
        SkipSpace();
        if (_p < _s.Length && _s[_p] == '}')
        {
            _p++;
            return result;
        }
        while (true)
        {
            SkipSpace();
            if (_p >= _s.Length) throw PrematureEnd();
            if (_s[_p] is not ('"' or '\''))
            {
                if (_s[_p] is '{' or '[' && depth + 1 > MaxNesting) throw Error("JSON nesting depth limit exceeded");
                if (char.IsAsciiLetter(_s[_p])) Keyword(); // an invalid keyword is reported as such
                throw Error(_s[_p] == '}' ? "JSON parse error, expecting value" : "JSON parse error, key is not a string in object");
            }
            string key = String();
            SkipSpace();
            if (_p >= _s.Length) throw PrematureEnd();
            if (_s[_p] != ':') throw Error("JSON parse error, missing : in object pair");
            _p++;
            object? value = Value(depth);
            if (result.Exists(m => m.Key == key)) throw Error("JSON parse error, duplicate key");
            result.Add(new(key, value));
            SkipSpace();
            if (_p >= _s.Length) throw PrematureEnd();
            if (_s[_p] == '}')
            {
                _p++;
                return result;
            }
            if (_s[_p] != ',') throw Error("JSON parse error, expected separator in dict");
            _p++;
        }
    }

    private List<object?> Array(int depth)
    {
        if (depth > MaxNesting) throw Error("JSON nesting depth limit exceeded");
        _p++; // [
        var result = new List<object?>();
        SkipSpace();
        if (_p < _s.Length && _s[_p] == ']')
        {
            _p++;
            return result;
        }
        while (true)
        {
            result.Add(Value(depth));
            SkipSpace();
            if (_p >= _s.Length) throw PrematureEnd();
            if (_s[_p] == ']')
            {
                _p++;
                return result;
            }
            if (_s[_p] != ',') throw Error("JSON parse error, expected separator in list");
            _p++;
        }
    }

    private string String()
    {
        char quote = _s[_p++];
        var sb = new StringBuilder();
        while (true)
        {
            if (_p >= _s.Length) throw PrematureEnd();
            char c = _s[_p++];
            if (c == quote) return sb.ToString();
            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }
            if (_p >= _s.Length) throw PrematureEnd();
            char e = _s[_p++];
            switch (e)
            {
                case '"': sb.Append('"'); break;
                case '\'': sb.Append('\''); break;
                case '\\': sb.Append('\\'); break;
                case '/': sb.Append('/'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u':
                    if (_p + 4 > _s.Length) throw PrematureEnd();
                    if (!int.TryParse(_s.AsSpan(_p, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int cp))
                        throw Error("JSON parse error, invalid hex escape sequence in string");
                    sb.Append((char)cp);
                    _p += 4;
                    break;
                default:
                    throw Error("JSON parse error, invalid escape sequence in string");
            }
        }
    }

    private object Number()
    {
        int start = _p;
        if (_s[_p] == '-') _p++;
        while (_p < _s.Length && char.IsAsciiDigit(_s[_p])) _p++;
        bool integer = true;
        if (_p < _s.Length && _s[_p] == '.')
        {
            integer = false;
            _p++;
            while (_p < _s.Length && char.IsAsciiDigit(_s[_p])) _p++;
        }
        if (_p < _s.Length && _s[_p] is 'e' or 'E')
        {
            integer = false;
            _p++;
            if (_p < _s.Length && _s[_p] is '+' or '-') _p++;
            while (_p < _s.Length && char.IsAsciiDigit(_s[_p])) _p++;
        }
        string text = _s[start.._p];
        if (integer && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l))
            return l;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
            return d;
        throw Error("JSON parse error, expecting value");
    }

    private object? Keyword()
    {
        int start = _p;
        while (_p < _s.Length && char.IsAsciiLetterOrDigit(_s[_p])) _p++;
        string word = _s[start.._p];
        return word switch
        {
            "true" => true,
            "false" => false,
            "null" => null,
            _ => throw Error($"JSON parse error, invalid keyword '{word}'"),
        };
    }
}
