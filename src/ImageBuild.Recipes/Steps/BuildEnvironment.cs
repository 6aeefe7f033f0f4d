using System.Globalization;

namespace ImageBuild.Recipes.Steps;

/// <summary>
/// What a build's environment may say about its outputs. Steps that read it list the variable in their kind's
/// <c>Environment</c>, so its value is part of their key.
/// </summary>
internal static class BuildEnvironment
{
    /// <summary>
    /// SOURCE_DATE_EPOCH (reproducible-builds.org): the time recorded in outputs (snapshot dates, archive members'
    /// mtimes), in seconds since 1970; 0 when unset or not a whole number of seconds that a 32-bit field holds.
    /// </summary>
    public static long SourceDateEpoch() =>
        long.TryParse(Environment.GetEnvironmentVariable("SOURCE_DATE_EPOCH"), NumberStyles.None,
            CultureInfo.InvariantCulture, out long s) && s <= uint.MaxValue ? s : 0;
}
