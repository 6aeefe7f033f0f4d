namespace ImageBuild.Fuzz.Differential;

public static class DifferentialRunner
{
    public static int Run(DifferentialOptions options) => 0;
}
