using System.Text;
using System.Text.RegularExpressions;
using ImageBuild.Engine.Block;

namespace ImageBuild.Cli.CommandLine;

/// <summary>
/// --image-opts / --target-image-opts: the image argument is a QemuOpts option string (qemu's "source" list, whose
/// implied first name is "file") of open options such as driver=qcow2,file.filename=x.qcow2. The options are
/// registered in the engine context under the argument itself, so that wherever an operation opens that name it opens
/// what the options describe and messages say "Could not open 'ARGUMENT': ...", as qemu-img's img_open does.
/// </summary>
public static partial class ImageOptsArgs
{
    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_.-]*$")]
    private static partial Regex Identifier();

    /// <summary>
    /// <paramref name="engine"/> with <paramref name="argument"/> registered as open options (unchanged without
    /// --image-opts); qemu's refusals of -f, a bad id and -U against force-share=off exit with <paramref name="exitCode"/>.
    /// </summary>
    public static ImageContext Register(CliIO io, ImageContext engine, bool imageOpts, string? format, string argument,
        bool forceShare = false, int exitCode = 1, string formatConflict = "--image-opts and --format are mutually exclusive")
    {
        if (!imageOpts) return engine;
        if (format is not null)
            Fail(io, formatConflict, exitCode);
        BlockOptions options = Parse(io, argument, exitCode);
        if (forceShare)
        {
            if (options.Contains("force-share") && BlockOptions.AsText(options["force-share"]) != "on")
                Fail(io, "--force-share/-U conflicts with image options", exitCode);
            options.Put("force-share", "on");
        }
        return engine.WithImageOptions(argument, options);
    }

    /// <summary>qemu's opts_do_parse over the "source" list: an implied "file" first, deprecated short booleans, an identifier id.</summary>
    public static BlockOptions Parse(CliIO io, string text, int exitCode = 1)
    {
        var options = new BlockOptions();
        string? id = null;
        int p = 0;
        bool first = true;
        while (p < text.Length)
        {
            int end = p;
            while (end < text.Length && text[end] is not ('=' or ',')) end++;
            string name;
            string value;
            if (end < text.Length && text[end] == '=')
            {
                name = text[p..end];
                p = OptionList.ReadValue(text, end + 1, out value);
            }
            else if (first)
            {
                name = "file";
                p = OptionList.ReadValue(text, p, out value);
            }
            else
            {
                string option = text[p..end];
                p = end;
                (name, value) = option.StartsWith("no", StringComparison.Ordinal) ? (option[2..], "off") : (option, "on");
                io.Warning($"short-form boolean option '{option}' deprecated");
                io.Diagnostic($"Please use {name}={value} instead");
            }
            if (p < text.Length) p++; // the comma
            first = false;
            if (name == "id")
            {
                if (!Identifier().IsMatch(value))
                    Fail(io, "Parameter 'id' expects an identifier\nIdentifiers consist of letters, digits, '-', '.', '_', starting with a letter.", exitCode);
                id = value;
                continue;
            }
            options.Put(name, value);
        }
        if (id is null) return options;
        // qemu_opts_to_qdict puts the id first
        var withId = new BlockOptions();
        withId.Put("id", id);
        foreach (string key in options.Keys) withId.Put(key, options[key]);
        return withId;
    }

    private static void Fail(CliIO io, string message, int exitCode)
    {
        io.Error(message);
        throw new CommandExitException(exitCode);
    }
}
