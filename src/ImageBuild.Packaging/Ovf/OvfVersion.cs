namespace ImageBuild.Packaging.Ovf;

/// <summary>
/// The OVF envelope version written (DMTF DSP0243): 1.x descriptors live in the namespace
/// <c>http://schemas.dmtf.org/ovf/envelope/1</c>, 2.x descriptors in <c>http://schemas.dmtf.org/ovf/envelope/2</c>;
/// readers tell them apart by that namespace alone.
/// </summary>
public enum OvfVersion
{
    /// <summary>OVF 1.0/1.1 (DSP0243 1.x): what every VMware and VirtualBox release imports.</summary>
    V1_0,

    /// <summary>OVF 2.0 (DSP0243 2.x): VirtualBox 5+ and vSphere 6.5+ import it.</summary>
    V2_0,
}
