namespace ImageBuild.Packaging.Ovf;

/// <summary>
/// The XML namespaces of an OVF descriptor (DSP0243 §7.1 and Annex A: the envelope, and the CIM RASD and VSSD
/// schemas its hardware items use) and the vendor extensions written beside them.
/// </summary>
internal static class OvfNames
{
    public const string Envelope1 = "http://schemas.dmtf.org/ovf/envelope/1";
    public const string Envelope2 = "http://schemas.dmtf.org/ovf/envelope/2";
    public const string Rasd = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData";
    public const string Vssd = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData";
    public const string Vmw = "http://www.vmware.com/schema/ovf";
    public const string Vbox = "http://www.virtualbox.org/ovf/machine";

    /// <summary>ovf:format of a streamOptimized VMDK (the URI VMware publishes and every importer recognises).</summary>
    public const string StreamOptimizedVmdk = "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized";

    public static string EnvelopeNamespace(OvfVersion version) => version == OvfVersion.V2_0 ? Envelope2 : Envelope1;
}
