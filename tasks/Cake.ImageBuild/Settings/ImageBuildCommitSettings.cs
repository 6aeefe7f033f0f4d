namespace Cake.ImageBuild;

/// <summary>Settings for <c>ImageBuildCommit</c> (as <c>qemu-img commit -d</c> on copies).</summary>
public class ImageBuildCommitSettings : ImageBuildOperationSettings
{
}
