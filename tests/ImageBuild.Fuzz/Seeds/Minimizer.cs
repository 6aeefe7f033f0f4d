using ImageBuild.Fuzz.Differential;

namespace ImageBuild.Fuzz;

/// <summary>
/// Shrinks a regression file: drops its patches one at a time while the six exit codes (qemu-img and imagebuild:
/// info, check, convert -O raw) stay the same, and rewrites the file with what is left.
/// </summary>
public static class Minimizer
{
    public static int Run(string regressionPath, string cliDll)
    {
        var file = RegressionFile.Load(regressionPath);
        var tools = new ToolRunner(Path.GetFullPath(cliDll), TimeSpan.FromSeconds(60));
        using var scratch = new Scratch();
        byte[] seed = SeedCatalog.Make(SeedCatalog.Find(file.Seed), scratch.Directory);
        string Signature(RegressionFile f)
        {
            byte[] bytes = f.Apply(seed);
            var codes = new List<int>();
            foreach (string[] args in new[] { new[] { "info", "-f", "qcow2", "t.qcow2" }, ["check", "-f", "qcow2", "t.qcow2"], ["convert", "-f", "qcow2", "-O", "raw", "t.qcow2", "o.raw"] })
            {
                scratch.WriteInput(bytes, "t.qcow2");
                codes.Add(tools.Qemu(scratch.Directory, args).ExitCode);
                scratch.WriteInput(bytes, "t.qcow2");
                codes.Add(tools.Ours(scratch.Directory, args).ExitCode);
                File.Delete(scratch.PathOf("o.raw"));
            }
            return string.Join(',', codes);
        }
        string target = Signature(file);
        var patches = file.Patches.ToList();
        foreach (var p in file.Patches)
        {
            var fewer = patches.Where(q => q != p).ToList();
            if (fewer.Count > 0 && Signature(file with { Patches = fewer }) == target)
                patches = fewer;
        }
        File.WriteAllText(regressionPath, System.Text.Json.JsonSerializer.Serialize(file with { Patches = patches }, RegressionFile.Json) + "\n");
        Console.WriteLine($"{file.Patches.Count} patches -> {patches.Count}; exit codes (qemu,ours for info, check, convert): {target}");
        return 0;
    }
}
