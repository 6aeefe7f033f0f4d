namespace ImageBuild.Packaging.Vagrant;

/// <summary>The Vagrant provider a box is made for (metadata.json "provider").</summary>
public enum VagrantProvider
{
    /// <summary>vagrant-libvirt: box.img (qcow2), metadata.json with format and virtual_size, a Vagrantfile with driver settings.</summary>
    Libvirt,

    /// <summary>VirtualBox: box.ovf and box-disk001.vmdk (streamOptimized), metadata.json, a Vagrantfile with base_mac.</summary>
    VirtualBox,
}
