using ImageBuild.Engine.Block;
using ImageBuild.Fuzz;
using ImageBuild.Fuzz.Differential;

// imagebuild-fuzz: see README.md. Commands:
//   list                         the targets
//   afl TARGET                   run under afl-fuzz (SharpFuzz); reads the input afl gives
//   replay TARGET FILE|DIR...    run inputs once each; prints one line per input; exit 1 on a finding
//   diff [options]               differential run against qemu-img (see DifferentialOptions)
//   seeds DIR                    make the qcow2 seeds (SeedCatalog) with qemu-img into DIR
//   regression NAME SEED FILE FINDING  print regression file NAME (JSON): FILE as byte patches of SEED ('auto': the closest), what was found, qemu's exit codes
//   minimize FILE.json [CLI]     drop the patches of a regression file that do not change the six exit codes
// Under afl the engine assemblies are instrumented: their code may run only inside Fuzzer.Run (the coverage map
// is set up there), so nothing of the engine is touched before it. Other commands use an uninstrumented build.
string command = args.Length > 0 ? args[0] : "list";
switch (command)
{
    case "list":
        foreach (var t in FuzzTargets.All(ImageContext.CreateDefault()))
            Console.WriteLine($"{t.Name,-8} {t.Description}");
        return 0;
    case "afl" when args.Length == 2:
    {
        string name = args[1];
        FuzzTarget? target = null;
        Scratch? scratch = null;
        SharpFuzz.Fuzzer.OutOfProcess.Run(stream =>
        {
            target ??= FindTarget(name);
            scratch ??= new Scratch($"imagebuild-fuzz-afl-{name}");
            using var ms = new MemoryStream();
            stream.CopyTo(ms);
            target.Run(ms.GetBuffer().AsSpan(0, (int)ms.Length), scratch);
        });
        return 0;
    }
    case "replay" when args.Length >= 3:
        return Replay.Run(FindTarget(args[1]), args[2..]);
    case "seeds" when args.Length == 2:
    {
        // the qcow2 seeds (SeedCatalog) into DIR
        Directory.CreateDirectory(args[1]);
        string work = Directory.CreateTempSubdirectory("imagebuild-seeds-").FullName;
        foreach (var seed in SeedCatalog.All)
            File.WriteAllBytes(Path.Combine(args[1], seed.FileName), SeedCatalog.Make(seed, work));
        Directory.Delete(work, recursive: true);
        return 0;
    }
    case "regression" when args.Length == 5 && args[4].Trim().Length > 0:
        Console.WriteLine(RegressionFile.Describe(args[1], args[2], args[3], args[4]));
        return 0;
    case "minimize" when args.Length is 2 or 3:
        return Minimizer.Run(args[1], args.Length == 3 ? args[2] : new DifferentialOptions().Cli);
    case "diff":
        return DifferentialRunner.Run(DifferentialOptions.Parse(args[1..]));
    default:
        Console.Error.WriteLine("usage: imagebuild-fuzz list | afl TARGET | replay TARGET FILE|DIR... | diff [options] | seeds DIR | regression NAME SEED FILE FINDING | minimize FILE.json [CLI]");
        return 1;
}

static FuzzTarget FindTarget(string name) =>
    FuzzTargets.Find(ImageContext.CreateDefault(), name) ?? throw new ArgumentException($"no fuzz target '{name}' (see 'list')");
