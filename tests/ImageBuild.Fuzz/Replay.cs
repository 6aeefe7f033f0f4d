using System.Diagnostics;

namespace ImageBuild.Fuzz;

/// <summary>Runs saved inputs (AFL crashes/hangs/queue, regression files) once each and says what happened.</summary>
public static class Replay
{
    /// <summary>A run slower than this is reported as slow (a hang candidate).</summary>
    public static readonly TimeSpan Slow = TimeSpan.FromSeconds(2);

    public static int Run(FuzzTarget target, IEnumerable<string> inputs)
    {
        int findings = 0;
        using var scratch = new Scratch();
        foreach (string file in Expand(inputs))
        {
            var sw = Stopwatch.StartNew();
            string outcome;
            try
            {
                outcome = target.Run(File.ReadAllBytes(file), scratch).ReplaceLineEndings(" ");
            }
            catch (Exception e)
            {
                findings++;
                outcome = $"FINDING {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}\n{e.StackTrace}";
            }
            string slow = sw.Elapsed > Slow ? $" SLOW {sw.Elapsed.TotalSeconds:F1}s" : "";
            Console.WriteLine($"{file}: {outcome}{slow}");
        }
        return findings > 0 ? 1 : 0;
    }

    private static IEnumerable<string> Expand(IEnumerable<string> inputs)
    {
        foreach (string i in inputs)
        {
            if (Directory.Exists(i))
            {
                foreach (string f in Directory.EnumerateFiles(i).Where(f => !Path.GetFileName(f).StartsWith("README", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
                    yield return f;
            }
            else
                yield return i;
        }
    }
}
