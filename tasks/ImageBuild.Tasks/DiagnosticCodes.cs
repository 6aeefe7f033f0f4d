namespace ImageBuild.Tasks;

/// <summary>The host's error codes (ImageBuild.Recipes.Hosting.HostDiagnostic.Code), for errors the tasks raise themselves.</summary>
internal static class DiagnosticCodes
{
    /// <summary>Recipe invalid: YAML, schema, references, files.</summary>
    public const string RecipeInvalid = "IMGB1001";
    /// <summary>A step or operation failed.</summary>
    public const string OperationFailed = "IMGB1002";
    /// <summary>I/O error or output directory in use.</summary>
    public const string Io = "IMGB1003";
    /// <summary>A task parameter is invalid.</summary>
    public const string BadParameter = "IMGB1004";
    /// <summary>Cancelled.</summary>
    public const string Cancelled = "IMGB1005";
}
