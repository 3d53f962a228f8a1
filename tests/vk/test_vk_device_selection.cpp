// The device choice rules of engine/vk/device_selection.h, without a driver.
#include <QtTest>

#include "vk/device_selection.h"

using namespace kvs::vk;

class TestVkDeviceSelection : public QObject {
    Q_OBJECT
    const std::vector<DeviceCandidate> devices_{{"llvmpipe (LLVM 15)", DeviceKind::Cpu, true, ""},
                                                {"Intel(R) UHD Graphics 770", DeviceKind::Integrated, true, ""},
                                                {"NVIDIA GeForce RTX 4090", DeviceKind::Discrete, true, ""},
                                                {"Old GPU", DeviceKind::Discrete, false, "needs Vulkan 1.1"}};

private slots:
    void bestIsDiscreteThenIntegratedThenCpu() {
        QCOMPARE(*select_device(devices_, ""), 2);
        auto no_discrete = devices_;
        no_discrete[2].usable = false;
        QCOMPARE(*select_device(no_discrete, ""), 1);
        QCOMPARE(*select_device({devices_[0]}, ""), 0);
    }
    void indexAndNameSubstring() {
        QCOMPARE(*select_device(devices_, "1"), 1);
        QCOMPARE(*select_device(devices_, "llvmpipe"), 0);
        QCOMPARE(*select_device(devices_, "rtx"), 2);  // case-insensitive
    }
    void errorsNameTheDevices() {
        auto out_of_range = select_device(devices_, "4");
        QVERIFY(!out_of_range.ok());
        QVERIFY(out_of_range.message().find("NVIDIA GeForce RTX 4090") != std::string::npos);
        auto unusable = select_device(devices_, "3");
        QVERIFY(!unusable.ok());
        QVERIFY(unusable.message().find("needs Vulkan 1.1") != std::string::npos);
        QVERIFY(!select_device(devices_, "Old GPU").ok());  // matches only an unusable device
        QVERIFY(!select_device({}, "").ok());
    }
};

QTEST_GUILESS_MAIN(TestVkDeviceSelection)
#include "test_vk_device_selection.moc"
