using System.Globalization;
using System.Text;
using System.Text.Json;
using ImageBuild.Engine.Block;
using ImageBuild.Packaging.Ovf;

namespace ImageBuild.Packaging.Vagrant;

/// <summary>
/// The small files of a Vagrant box, as Packer's vagrant post-processor writes them. metadata.json (Vagrant's box
/// format: a JSON object with at least "provider"; vagrant-libvirt also reads "format" and "virtual_size", the disk's
/// size in GiB rounded up). The Vagrantfile merged under the user's: for libvirt the KVM driver with the machine's
/// CPUs and memory (disk bus and NIC model are left to vagrant-libvirt's virtio defaults: the OVF controller and NIC
/// names describe VMware hardware); for VirtualBox <c>config.vm.base_mac</c>, the MAC Vagrant gives the NAT adapter.
/// UTF-8 without BOM, '\n' line ends.
/// </summary>
internal static class VagrantBoxFiles
{
    /// <summary>VirtualBox's OUI (08:00:27), which base MACs of VirtualBox boxes use.</summary>
    private static readonly byte[] VirtualBoxOui = [0x08, 0x00, 0x27];

    public static byte[] LibvirtMetadata(long virtualSizeBytes)
    {
        long gib = (virtualSizeBytes + (1L << 30) - 1) >> 30;
        return Json(w =>
        {
            w.WriteString("provider", "libvirt");
            w.WriteString("format", VagrantBoxWriter.LibvirtFormat);
            w.WriteNumber("virtual_size", gib);
        });
    }

    public static byte[] VirtualBoxMetadata() => Json(w => w.WriteString("provider", "virtualbox"));

    public static byte[] LibvirtVagrantfile(VirtualHardware hardware) => Text(
        "Vagrant.configure(\"2\") do |config|\n" +
        "  config.vm.provider :libvirt do |libvirt|\n" +
        "    libvirt.driver = \"kvm\"\n" +
        $"    libvirt.cpus = {hardware.Cpus.ToString(CultureInfo.InvariantCulture)}\n" +
        $"    libvirt.memory = {hardware.MemoryMiB.ToString(CultureInfo.InvariantCulture)}\n" +
        "  end\n" +
        "end\n");

    public static byte[] VirtualBoxVagrantfile(string baseMac) => Text(
        "Vagrant.configure(\"2\") do |config|\n" +
        $"  config.vm.base_mac = \"{baseMac}\"\n" +
        "end\n");

    /// <summary>
    /// The box's base MAC: VirtualBox's OUI and three bytes from the engine's identity source (the value of the
    /// purpose "vagrant-base-mac" for the box's Vagrantfile), so a reproducible build gives the same MAC on every run;
    /// twelve upper-case hex digits, as VirtualBox writes MACs.
    /// </summary>
    public static string BaseMac(IdentitySource identity)
    {
        Span<byte> mac = stackalloc byte[6];
        VirtualBoxOui.CopyTo(mac);
        identity.ForImage("Vagrantfile").NewBytes("vagrant-base-mac", mac[3..]);
        return Convert.ToHexString(mac);
    }

    private static byte[] Json(Action<Utf8JsonWriter> body)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, NewLine = "\n" }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static byte[] Text(string s) => new UTF8Encoding(false).GetBytes(s);
}
