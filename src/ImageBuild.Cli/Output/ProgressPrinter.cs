namespace ImageBuild.Cli.Output;

/// <summary>
/// qemu's util/qemu-progress.c in its simple (-p) form: "    (%3.2f/100%)\r" on stdout, reprinted when the value
/// moves by more than the minimum step or is 0 or 100, and one newline at the end. Values are single-precision as in qemu.
/// </summary>
public sealed class ProgressPrinter(TextWriter output, bool enabled, float minSkip)
{
    private float _current;
    private float _lastPrint;

    public bool Enabled => enabled;

    /// <summary>qemu_progress_print(percent, 0): sets the absolute value.</summary>
    public void SetAbsolute(double percent) => Update((float)percent);

    /// <summary>qemu_progress_print(delta, 100): advances by a delta.</summary>
    public void Advance(double delta) => Update(_current + (float)delta);

    private void Update(float current)
    {
        if (current >= 100) current = 100;
        _current = current;
        if (current > _lastPrint + minSkip || current == 100 || current == 0)
        {
            _lastPrint = _current;
            if (enabled)
            {
                output.Write("    (" + CFormat.F(_current, 2) + "/100%)\r");
                output.Flush();
            }
        }
    }

    /// <summary>qemu_progress_end.</summary>
    public void End()
    {
        if (enabled)
        {
            output.Write("\n");
            output.Flush();
        }
    }
}
