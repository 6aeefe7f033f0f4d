namespace ImageBuild.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        Console.Error.WriteLine("imagebuild: Not enough arguments");
        return args.Length == 0 ? 1 : 1;
    }
}
