namespace ImageBuild.Cli.CommandLine;

public enum ArgKind
{
    None,
    Required,
}

/// <summary>A long option: name, whether it takes an argument, and the value returned for it.</summary>
public sealed record LongOption(string Name, ArgKind Arg, int Value);

/// <summary>
/// glibc's getopt_long, as qemu-img uses it: short options bundled (<c>-qf fmt</c>, <c>-ffmt</c>), long options with
/// unique-prefix abbreviation (<c>--out=json</c>, <c>--output json</c>), <c>--</c> ends options, operands permuted behind
/// the options (unless the option string starts with '+'), and a leading ':' in the option string so that a missing
/// argument returns ':' and an unknown option '?' without a message. <see cref="Optind"/> and the argument array follow
/// glibc's state exactly, so <c>Argv[Optind - 1]</c> names the same word qemu-img prints in its messages.
/// </summary>
public sealed class GetOpt
{
    public const int End = -1;

    private readonly string[] _argv;
    private readonly string _optstring;
    private readonly IReadOnlyList<LongOption> _longOptions;
    private readonly bool _permute;
    private int _firstNonopt = 1;
    private int _lastNonopt = 1;
    private string? _nextchar;
    private int _nextcharPos;

    /// <param name="argv">Arguments with argv[0] = the program or command name; permuted in place.</param>
    /// <param name="optstring">Short options as getopt takes them (e.g. ":f:hU").</param>
    /// <param name="longOptions">Long options.</param>
    public GetOpt(string[] argv, string optstring, IReadOnlyList<LongOption>? longOptions = null)
    {
        _argv = argv;
        _permute = !optstring.StartsWith('+');
        _optstring = optstring.TrimStart('+', '-');
        _longOptions = longOptions ?? [];
    }

    public string[] Argv => _argv;
    public int Optind { get; private set; } = 1;
    public string? Optarg { get; private set; }

    /// <summary>The word qemu-img names in "unrecognized option" / "missing argument" messages (argv[optind-1]).</summary>
    public string PreviousWord => _argv[Optind - 1];

    /// <summary>The operands left after <see cref="Next"/> returned <see cref="End"/>.</summary>
    public IReadOnlyList<string> Operands => _argv[Optind..];

    private bool NonOption(int i) => _argv[i].Length < 2 || _argv[i][0] != '-';

    /// <summary>Next option character (or long option value), '?' for unknown, ':' for a missing argument, <see cref="End"/> when done.</summary>
    public int Next()
    {
        Optarg = null;
        int argc = _argv.Length;
        if (_nextchar is null || _nextcharPos >= _nextchar.Length)
        {
            if (_lastNonopt > Optind) _lastNonopt = Optind;
            if (_firstNonopt > Optind) _firstNonopt = Optind;

            if (_permute)
            {
                if (_firstNonopt != _lastNonopt && _lastNonopt != Optind)
                    Exchange();
                else if (_lastNonopt != Optind)
                    _firstNonopt = Optind;
                while (Optind < argc && NonOption(Optind))
                    Optind++;
                _lastNonopt = Optind;
            }

            if (Optind != argc && _argv[Optind] == "--")
            {
                Optind++;
                if (_firstNonopt != _lastNonopt && _lastNonopt != Optind)
                    Exchange();
                else if (_firstNonopt == _lastNonopt)
                    _firstNonopt = Optind;
                _lastNonopt = argc;
                Optind = argc;
            }

            if (Optind == argc)
            {
                if (_firstNonopt != _lastNonopt)
                    Optind = _firstNonopt;
                return End;
            }

            if (NonOption(Optind))
                return End; // only reached when not permuting

            if (_argv[Optind][1] == '-')
            {
                _nextchar = _argv[Optind];
                _nextcharPos = 2;
                return LongOptionNext();
            }
            _nextchar = _argv[Optind];
            _nextcharPos = 1;
        }

        char c = _nextchar[_nextcharPos++];
        int idx = _optstring.IndexOf(c);
        if (_nextcharPos >= _nextchar.Length)
            Optind++;
        if (idx < 0 || c == ':' || c == ';')
            return '?';
        if (idx + 1 < _optstring.Length && _optstring[idx + 1] == ':')
        {
            if (_nextcharPos < _nextchar.Length)
            {
                Optarg = _nextchar[_nextcharPos..];
                Optind++;
            }
            else if (Optind == argc)
            {
                c = _optstring.StartsWith(':') ? ':' : '?';
            }
            else
            {
                Optarg = _argv[Optind++];
            }
            _nextchar = null;
        }
        return c;
    }

    private int LongOptionNext()
    {
        string word = _nextchar!;
        string body = word[_nextcharPos..];
        int eq = body.IndexOf('=');
        string name = eq < 0 ? body : body[..eq];
        _nextchar = null;

        LongOption? found = null;
        foreach (var o in _longOptions)
        {
            if (o.Name == name)
            {
                found = o;
                break;
            }
        }
        if (found is null)
        {
            bool ambiguous = false;
            foreach (var o in _longOptions)
            {
                if (!o.Name.StartsWith(name, StringComparison.Ordinal))
                    continue;
                if (found is null)
                    found = o;
                else if (found.Arg != o.Arg || found.Value != o.Value)
                    ambiguous = true;
            }
            if (ambiguous)
            {
                Optind++;
                return '?';
            }
        }
        if (found is null)
        {
            Optind++;
            return '?';
        }

        Optind++;
        if (eq >= 0)
        {
            if (found.Arg == ArgKind.None)
                return '?';
            Optarg = body[(eq + 1)..];
        }
        else if (found.Arg == ArgKind.Required)
        {
            if (Optind < _argv.Length)
                Optarg = _argv[Optind++];
            else
                return _optstring.StartsWith(':') ? ':' : '?';
        }
        return found.Value;
    }

    /// <summary>glibc's exchange: moves the options found after skipped operands in front of those operands.</summary>
    private void Exchange()
    {
        int bottom = _firstNonopt, middle = _lastNonopt, top = Optind;
        // Rotate [bottom, top) so that [middle, top) comes first.
        var segment = _argv[bottom..top];
        int optCount = top - middle;
        Array.Copy(segment, middle - bottom, _argv, bottom, optCount);
        Array.Copy(segment, 0, _argv, bottom + optCount, middle - bottom);
        _firstNonopt += Optind - _lastNonopt;
        _lastNonopt = Optind;
    }
}
