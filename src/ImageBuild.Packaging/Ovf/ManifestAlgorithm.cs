namespace ImageBuild.Packaging.Ovf;

/// <summary>
/// The digest of an OVF manifest (DSP0243 §5.1: lines <c>ALG(file)= hex</c>). SHA256 is the default: vSphere 7+ rejects
/// SHA1 manifests, while old VMware products (before 6.0) and OVF 1.0 readers take only SHA1, which callers may
/// still ask for. SHA512 is what ovftool writes with <c>--shaAlgorithm=SHA512</c>.
/// </summary>
public enum ManifestAlgorithm
{
    Sha256,
    Sha1,
    Sha512,
}
