using System.Runtime.InteropServices;

namespace ImageBuild.Cli.Output;

/// <summary>
/// qemu's util/qemu-progress.c. With -p (simple form): "    (%3.2f/100%)\r" on stdout, reprinted when the value
/// moves by more than the minimum step or is 0 or 100, and one newline at the end. Without -p (dummy form): SIGUSR1
/// asks for the progress once, printed as "    (%3.2f/100%)\n" on stderr at the next step that would have been
/// printed. Values are single-precision as in qemu. Under imagebuild's <c>--events</c>, every value also goes to the
/// operation's JSON events (see <see cref="OperationEvents"/>).
/// </summary>
public sealed class ProgressPrinter : IDisposable
{
    private readonly TextWriter _output;
    private readonly TextWriter? _error;
    private readonly bool _enabled;
    private readonly float _minSkip;
    private readonly PosixSignalRegistration? _signal;
    private float _current;
    private float _lastPrint;
    private int _printPending;

    /// <param name="error">Where a SIGUSR1 request is answered when <paramref name="enabled"/> is false (null: signals are not handled).</param>
    public ProgressPrinter(TextWriter output, bool enabled, float minSkip, TextWriter? error = null)
    {
        _output = output;
        _enabled = enabled;
        _minSkip = minSkip;
        _error = error;
        if (!enabled && error is not null && (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()))
        {
            var sigusr1 = (PosixSignal)(OperatingSystem.IsMacOS() ? 30 : 10);
            _signal = PosixSignalRegistration.Create(sigusr1, context =>
            {
                context.Cancel = true; // handled: the default action would end the process
                Volatile.Write(ref _printPending, 1);
            });
        }
    }

    public bool Enabled => _enabled;

    /// <summary>qemu_progress_print(percent, 0): sets the absolute value.</summary>
    public void SetAbsolute(double percent) => Update((float)percent);

    /// <summary>qemu_progress_print(delta, 100): advances by a delta.</summary>
    public void Advance(double delta) => Update(_current + (float)delta);

    private void Update(float current)
    {
        if (current >= 100) current = 100;
        _current = current;
        (_output as OperationEvents.ProgressOutput)?.Events.Progress(current);
        if (current > _lastPrint + _minSkip || current == 100 || current == 0)
        {
            _lastPrint = _current;
            if (_enabled)
            {
                _output.Write("    (" + CFormat.F(_current, 2) + "/100%)\r");
                _output.Flush();
            }
            else if (_error is not null && Interlocked.Exchange(ref _printPending, 0) == 1)
            {
                _error.Write("    (" + CFormat.F(_current, 2) + "/100%)\n");
                _error.Flush();
            }
        }
    }

    /// <summary>qemu_progress_end.</summary>
    public void End()
    {
        if (_enabled)
        {
            _output.Write("\n");
            _output.Flush();
        }
    }

    public void Dispose() => _signal?.Dispose();
}
